/**
 * `train` with a FeatureQueue (the port `headstart train --queue` fills with Redis workers; here the
 * jobs run in this process through the worker's own code, JSON round-tripped and out of order):
 * the same numbers as the local cache, augmented passes and phase 2's boundary included; a queue
 * that fails mid-way leaves the finished chunks in the run folder and `resume` does only the rest.
 * The real Redis + worker processes version is apps/cli/test/queue-train.test.ts.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HeadstartError, type TrainerEvent } from '@headstart/core';
import { loadLayersModelFile, PrefixSessions, processFeatureChunk, selectBackend, sha256Of, train, type FeatureJob, type FeatureQueue, type TrainOptions } from '../src/index.ts';
import { codeOf, makeImageDataset, makeTinyBase, tempDir, tinyTrainOptions } from './fixtures.ts';

/** A queue whose "workers" are this process: jobs run in reverse order, results through JSON like Redis. */
function inProcessQueue(opts: { failAfter?: number; seen?: string[] } = {}): FeatureQueue {
  const blobs = new Map<string, Uint8Array>();
  const sessions = new PrefixSessions(async (name) => blobs.get(name) as Uint8Array, 1);
  let done = 0;
  return {
    chunkSize: 32,
    async publish(bytes) {
      const name = sha256Of(bytes);
      blobs.set(name, bytes);
      return name;
    },
    async run(jobs: readonly FeatureJob[], onResult) {
      for (const job of [...jobs].reverse()) {
        if (opts.failAfter !== undefined && done >= opts.failAfter) throw new HeadstartError('UNAVAILABLE', 'lost the connection to Redis (test)');
        opts.seen?.push(job.id);
        const { result } = await processFeatureChunk(JSON.parse(JSON.stringify(job.data)), sessions);
        await onResult(job, JSON.parse(JSON.stringify(result)));
        done++;
      }
    },
  };
}

const weights = async (runDir: string): Promise<Float32Array[]> => {
  const m = await loadLayersModelFile(join(runDir, 'model', 'model.json'));
  return m.weights.map((w) => new Float32Array(w.read().dataSync()));
};
const history = async (runDir: string): Promise<{ loss: number; val_loss: number }[]> =>
  (await readFile(join(runDir, 'history.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { loss: number; val_loss: number });
const maxDiff = (a: Float32Array[], b: Float32Array[]): number => {
  let d = 0;
  a.forEach((x, i) => x.forEach((v, j) => (d = Math.max(d, Math.abs(v - (b[i]?.[j] ?? Number.NaN))))));
  return d;
};

describe('train with a feature queue', () => {
  let data: string;
  let basePath: string;
  const opts = (out: string, extra: Partial<TrainOptions> = {}): TrainOptions =>
    tinyTrainOptions({ data, base: basePath, epochs: [2, 1], seed: 7, schedule: { augment: { horizontalFlip: true, rotation: 10 }, augmentedPasses: 1 } }, out, { featureEngine: 'onnxruntime', ...extra });

  beforeAll(async () => {
    await selectBackend('cpu');
    const root = await tempDir();
    data = await makeImageDataset(join(root, 'data'), { perClass: 16 });
    basePath = await makeTinyBase(join(root, 'base'));
  });

  it('trains on the gathered caches exactly as on local ones (augmented passes, phase 2 boundary)', async () => {
    const root = await tempDir();
    const local = await train(opts(join(root, 'local')));
    const seen: string[] = [];
    const events: TrainerEvent[] = [];
    const queued = await train(opts(join(root, 'queued'), { featureQueue: inProcessQueue({ seen }) }), (e) => events.push(e));
    // 48 images: about 38 train (2 chunks of ≤32) and 10 validation (1 chunk); phase 1's pass caches phase 2's boundary too.
    expect(seen.length).toBe(3);
    expect(new Set(seen).size).toBe(3);
    const cache = events.filter((e) => e.type === 'cache');
    expect(cache.filter((e) => e.stage === 'end').map((e) => e.phase)).toEqual(['phase1']);
    expect(cache.every((e) => e.queue === true)).toBe(true);
    const start = events.find((e) => e.type === 'start');
    const progress = cache.filter((e) => e.stage === 'progress').map((e) => e.done);
    // Original + 1 augmented pass of the training images, the validation images once.
    const total = start?.type === 'start' ? start.trainCount * 2 + start.valCount : -1;
    expect(progress.at(-1)).toBe(total);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(queued.manifest.versions['feature-engine']).toBe('onnxruntime-node');
    expect(maxDiff(await weights(queued.runDir), await weights(local.runDir))).toBeLessThan(1e-5);
    const hl = await history(local.runDir);
    const hq = await history(queued.runDir);
    expect(hq.map((h) => h.loss)).toHaveLength(hl.length);
    hq.forEach((h, i) => {
      expect(Math.abs(h.loss - (hl[i]?.loss as number))).toBeLessThan(1e-5);
      expect(Math.abs(h.val_loss - (hl[i]?.val_loss as number))).toBeLessThan(1e-5);
    });
    expect(queued.report.confusion).toEqual(local.report.confusion);
  });

  it('a queue lost mid-way keeps the finished chunks; resume runs only the rest and ends the same', async () => {
    const root = await tempDir();
    const out = join(root, 'r');
    const err = await codeOf(train(opts(out, { featureQueue: inProcessQueue({ failAfter: 1 }) })));
    expect(err.code).toBe('UNAVAILABLE');
    const seen: string[] = [];
    const resumed = await train(opts(out, { resume: true, featureQueue: inProcessQueue({ seen }) }));
    expect(seen).toHaveLength(2);
    const fresh = await train(opts(join(root, 'fresh'), { featureQueue: inProcessQueue() }));
    expect(maxDiff(await weights(resumed.runDir), await weights(fresh.runDir))).toBe(0);
  });
});
