import { describe, expect, it } from 'vitest';
import { isHeadstartError } from '@headstart/core';
import { Batcher, type BatcherOptions } from '../src/batcher.ts';

const opts = (o: Partial<BatcherOptions> = {}): BatcherOptions => ({ maxBatch: 4, maxDelayMs: 20, queueSize: 16, imageSize: 2, classes: 1, ...o });
const img = (v: number): Uint8Array => new Uint8Array([v, v]);

/** Runner whose output for each image is its first pixel value; records batch sizes. */
function recorder(): { sizes: number[]; run: (rgb: Uint8Array, n: number) => Promise<Float32Array> } {
  const sizes: number[] = [];
  return {
    sizes,
    run: async (rgb, n) => {
      sizes.push(n);
      return Float32Array.from({ length: n }, (_, i) => rgb[i * 2]!);
    },
  };
}

describe('Batcher', () => {
  it('groups concurrent items up to maxBatch and routes results back to their callers', async () => {
    const r = recorder();
    const b = new Batcher(r.run, opts());
    const far = performance.now() + 5000;
    const out = await Promise.all([1, 2, 3, 4, 5].map((v) => b.submit(img(v), 1, far)));
    expect(out.map((o) => o.probabilities[0])).toEqual([1, 2, 3, 4, 5]);
    expect(r.sizes).toEqual([4, 1]);
    expect(out[0]!.batchSize).toBe(4);
  });

  it('runs a lone item after maxDelayMs, and blocks of several images stay together', async () => {
    const r = recorder();
    const b = new Batcher(r.run, opts({ maxDelayMs: 30 }));
    const t0 = performance.now();
    const block = new Uint8Array([7, 7, 8, 8, 9, 9]);
    const res = await b.submit(block, 3, t0 + 5000);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
    expect(Array.from(res.probabilities)).toEqual([7, 8, 9]);
    expect(res.queueMs).toBeGreaterThanOrEqual(20);
  });

  it('refuses work over the queue bound with QUEUE_FULL, and batches over maxBatch with USAGE', async () => {
    const b = new Batcher(recorder().run, opts({ queueSize: 2, maxDelayMs: 50 }));
    const far = performance.now() + 5000;
    const a = b.submit(img(1), 1, far);
    const c = b.submit(img(2), 1, far);
    await expect(b.submit(img(3), 1, far)).rejects.toSatisfy((e) => isHeadstartError(e, 'QUEUE_FULL'));
    await expect(b.submit(new Uint8Array(10), 5, far)).rejects.toSatisfy((e) => isHeadstartError(e, 'USAGE'));
    await Promise.all([a, c]);
  });

  it('rejects items whose deadline passes while queued', async () => {
    const r = recorder();
    const b = new Batcher(r.run, opts({ maxDelayMs: 200 }));
    await expect(b.submit(img(1), 1, performance.now() + 10)).rejects.toSatisfy((e) => isHeadstartError(e, 'DEADLINE_EXCEEDED'));
    expect(r.sizes).toEqual([]);
  });

  it('propagates a runner failure to every item of the batch', async () => {
    const b = new Batcher(async () => Promise.reject(new Error('boom')), opts({ maxDelayMs: 5 }));
    const far = performance.now() + 5000;
    const results = await Promise.allSettled([b.submit(img(1), 1, far), b.submit(img(2), 1, far)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
