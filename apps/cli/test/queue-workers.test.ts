/**
 * Queue mode against a real redis-server (started here on a free loopback port): three
 * `headstart worker` processes, one SIGKILLed mid-chunk; the output must hold every input exactly
 * once and equal the local run's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from '@headstart/queue/testing';
import { makeBulkFixture, sortedRows, type BulkFixture } from './bulk-fixture.ts';
import { runCli } from './fakes.ts';
import { startWorker, type WorkerProc } from './worker-procs.ts';

let fx: BulkFixture;
let redis: TestRedis;
beforeAll(async () => {
  [fx, redis] = await Promise.all([makeBulkFixture(12), startTestRedis()]);
});
afterAll(async () => {
  await redis?.stop();
});

const run = runCli;

describe('headstart predict --queue with three workers', () => {
  it('a worker SIGKILLed mid-chunk loses and duplicates nothing; the output equals the local run; SIGTERM stops the others cleanly', async () => {
    const local = join(fx.dir, 'local.csv');
    const localRun = await run('predict', fx.model, fx.images, '--out', local, '--chunk', '4');
    let killed: { w: WorkerProc; job: string } | undefined;
    const workers = [1, 2, 3].map(() =>
      startWorker(redis.url, (w, e) => {
        if (e.event === 'chunk-start' && killed === undefined && e.job) {
          killed = { w, job: e.job };
          w.proc.kill('SIGKILL');
        }
      }),
    );
    const queued = join(fx.dir, 'queued.csv');
    const q = await run('predict', fx.model, fx.images, '--out', queued, '--queue', redis.url, '--chunk', '4');
    expect(q.code).toBe(localRun.code);
    const rows = sortedRows(readFileSync(queued, 'utf8'));
    expect(rows).toHaveLength(fx.count);
    expect(new Set(rows.map((l) => l.split(',')[0])).size).toBe(fx.count);
    expect(rows).toEqual(sortedRows(readFileSync(local, 'utf8')));

    // The victim really died mid-chunk, and another worker finished that chunk.
    const victim = killed as { w: WorkerProc; job: string };
    expect(await victim.w.exited).toBeNull();
    expect(victim.w.events.some((e) => e.event === 'chunk-done' && e.job === victim.job)).toBe(false);
    const others = workers.filter((w) => w !== victim.w);
    expect(others.some((w) => w.events.some((e) => e.event === 'chunk-done' && e.job === victim.job))).toBe(true);

    for (const w of others) w.proc.kill('SIGTERM');
    expect(await Promise.all(others.map((w) => w.exited))).toEqual([0, 0]);
    for (const w of others) expect(w.events.at(-1)?.event).toBe('closed');
  }, 120_000);
});
