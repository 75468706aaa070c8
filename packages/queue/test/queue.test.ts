import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChunks, startChunkWorker, type ChunkWorkerEvent } from '../src/index.ts';
import { startTestRedis, type TestRedis } from '../testing/index.ts';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('chunk queue on a real redis-server', () => {
  it('runs every chunk once and gathers each result once', async () => {
    const runs = new Map<string, number>();
    const events: ChunkWorkerEvent[] = [];
    const worker = await startChunkWorker({
      url: redis.url,
      onEvent: (e) => events.push(e),
      process: async (kind, data, job) => {
        runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
        const { n } = data as { n: number };
        return { result: { kind, square: n * n }, items: 1 };
      },
    });
    const chunks = [1, 2, 3, 4, 5].map((n) => ({ id: `sq-${n}`, kind: 'square', data: { n } }));
    const got: Record<string, number> = {};
    await runChunks<{ n: number }, { square: number }>({
      url: redis.url,
      chunks,
      pollMs: 20,
      onResult: (c, r) => {
        expect(got[c.id]).toBeUndefined();
        got[c.id] = r.square;
      },
    });
    expect(got).toEqual({ 'sq-1': 1, 'sq-2': 4, 'sq-3': 9, 'sq-4': 16, 'sq-5': 25 });
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(events.filter((e) => e.event === 'chunk-done')).toHaveLength(5);
    await worker.close('test');
    expect(events.at(-1)).toEqual({ event: 'closed' });
  });

  it('a chunk that fails on every attempt fails the run with its reason', async () => {
    const worker = await startChunkWorker({
      url: redis.url,
      onEvent: () => undefined,
      process: async () => {
        throw new Error('model exploded');
      },
    });
    await expect(
      runChunks({ url: redis.url, chunks: [{ id: 'boom', kind: 'x', data: {} }], attempts: 2, pollMs: 20, onResult: () => undefined }),
    ).rejects.toThrow(/chunk boom failed on every attempt: model exploded/);
    await worker.close('test');
  });

  it('Redis going away mid-run is an UNAVAILABLE error naming the URL and how to resume', async () => {
    const gone = await startTestRedis();
    const done: string[] = [];
    const run = runChunks({
      url: gone.url,
      chunks: [{ id: 'never', kind: 'x', data: {} }],
      pollMs: 20,
      giveUpAfterMs: 500,
      resumeHint: 'results so far are kept; run again',
      onResult: (c) => void done.push(c.id),
    });
    await new Promise((r) => setTimeout(r, 300));
    await gone.kill();
    await expect(run).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(new RegExp(`Redis at ${gone.url}.*results so far are kept; run again`)) });
    expect(done).toEqual([]);
    await gone.stop();
  });
});
