/** The local bulk-predict lanes (src/bulk/thread-pool.ts): same rows as the single-threaded path, in job order; load failures keep their code. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHeadstartError, type ModelRef, type PredictionRow } from '@headstart/core';
import { listBulkInputs } from '@headstart/core-node';
import { modelHash } from '@headstart/inference/node';
import { ClassifierCache, parallelismFor, predictJobs, processPredictChunk } from '../src/bulk/predict-chunk.ts';
import { PredictThreads, runOnThreads } from '../src/bulk/thread-pool.ts';
import { makeBulkFixture, type BulkFixture } from './bulk-fixture.ts';

let fx: BulkFixture;
let model: ModelRef;
let files: string[];
const pools: PredictThreads[] = [];

beforeAll(async () => {
  fx = await makeBulkFixture(1);
  model = { source: fx.model, sha256: modelHash(readFileSync(fx.model)) };
  files = (await listBulkInputs(fx.images)).files;
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

function pool(threads: number): PredictThreads {
  const p = new PredictThreads(threads, 'cpu');
  pools.push(p);
  return p;
}

describe('PredictThreads (bulk-predict lanes)', () => {
  it('two lanes write the rows of the single-threaded path, chunk after chunk in job order', async () => {
    const cache = new ClassifierCache(parallelismFor(1), 'cpu');
    const [one] = predictJobs(model, 2, files, files.length);
    const expected = await processPredictChunk(one, cache, parallelismFor(1));
    await cache.dispose();

    const lanes = pool(2);
    lanes.warm(model);
    const written: PredictionRow[][] = [];
    await runOnThreads(lanes, predictJobs(model, 2, files, 3), async (rows) => {
      written.push(rows);
    });
    expect(written.map((rows) => rows.length)).toEqual([3, 3, 3]);
    expect(written.flat()).toEqual(expected);
    const byName = new Map(expected.map((r) => [r.path.slice(fx.images.length + 1), r]));
    expect(['small-0.png', 'small-1.png', 'small-2.png'].map((f) => byName.get(f)?.label)).toEqual(['red', 'green', 'blue']);
    expect(byName.get('dangling.png')?.error?.code).toBe('IO');
    expect(byName.get('not-an-image.png')?.error?.code).toBe('IMAGE_UNDECODABLE');
  });

  it('a model that fails to load fails each chunk with its HeadstartError (not a bare thread error), and the pool still closes', async () => {
    const broken = join(fx.dir, 'broken.onnx');
    const junk = new Uint8Array([1, 2, 3, 4, 5]);
    writeFileSync(broken, junk);
    const lanes = pool(2);
    const [job] = predictJobs({ source: broken, sha256: modelHash(junk) }, 1, files.slice(0, 2));
    lanes.warm(job!.model);
    for (let i = 0; i < 2; i++) {
      const e = await lanes.run(job!).catch((err: unknown) => err);
      expect(isHeadstartError(e) && e.code).toBe('MODEL_INVALID');
    }
    const [other] = predictJobs({ source: model.source, sha256: modelHash(junk) }, 1, files.slice(0, 1));
    const mismatch = await lanes.run(other!).catch((err: unknown) => err);
    expect(isHeadstartError(mismatch) && mismatch.message).toContain('every worker must see the same model file');
    await expect(lanes.close()).resolves.toBeUndefined();
  });
});
