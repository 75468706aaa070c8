/** The local bulk-predict lanes (src/bulk/thread-pool.ts): same rows as the single-threaded path, in job order; load failures keep their code. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isHeadstartError, type ModelRef, type PredictionRow } from '@headstart/core';
import { listBulkInputs } from '@headstart/core-node';
import { modelHash } from '@headstart/inference/node';
import { ClassifierCache, parallelismFor, predictJobs, processPredictChunk } from '../src/bulk/predict-chunk.ts';
import { PredictThreads, runOnThreads } from '../src/bulk/thread-pool.ts';
import { makeBulkFixture, type BulkFixture } from './bulk-fixture.ts';

/** Chunks the lanes started (every call of processPredictChunk). */
const started = vi.hoisted(() => ({ count: 0 }));
vi.mock('../src/bulk/predict-chunk.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/bulk/predict-chunk.ts')>();
  return {
    ...original,
    processPredictChunk: (...args: Parameters<typeof original.processPredictChunk>) => {
      started.count++;
      return original.processPredictChunk(...args);
    },
  };
});

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
    await expect(lanes.run(job!)).rejects.toThrow('closed');
  });

  it('after a chunk fails, runOnThreads aborts the chunks still waiting for a lane, and an aborted chunk never starts', async () => {
    const lanes = pool(2);
    const jobs = predictJobs(model, 1, files, 1);
    const bad = { ...jobs[0]!, topK: 0 }; // fails validation at once
    const signals: (AbortSignal | undefined)[] = [];
    const run = lanes.run.bind(lanes);
    vi.spyOn(lanes, 'run').mockImplementation((job, signal) => {
      signals.push(signal);
      return run(job, signal);
    });
    await expect(runOnThreads(lanes, [bad, ...jobs], async () => undefined)).rejects.toThrow();
    expect(signals).toHaveLength(jobs.length + 1);
    expect(signals.every((s) => s?.aborted === true)).toBe(true);

    started.count = 0;
    await expect(run(jobs[1]!, AbortSignal.abort(new Error('stopped')))).rejects.toThrow('stopped');
    expect(started.count).toBe(0);
  });
});
