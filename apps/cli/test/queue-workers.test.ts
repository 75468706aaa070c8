/**
 * Queue mode against a real redis-server (started here on a free loopback port): three
 * `headstart worker` processes, one SIGKILLed mid-chunk; the output must hold every input exactly
 * once and equal the local run's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from '@headstart/queue/testing';
import { makeBulkFixture, sortedRows, type BulkFixture } from './bulk-fixture.ts';
import { runCli } from './fakes.ts';

const BIN = fileURLToPath(new URL('../bin/headstart.js', import.meta.url));

interface WorkerProc {
  proc: ChildProcess;
  events: { event: string; job?: string }[];
  exited: Promise<number | null>;
}

function startWorker(url: string, onEvent: (w: WorkerProc, e: { event: string; job?: string }) => void): WorkerProc {
  // Locks of 6 s: short enough for a quick test, long enough for lock renewal on a loaded 2-core CI machine.
  const proc = spawn(process.execPath, [BIN, 'worker', '--queue', url, '--threads', '1', '--lock-ms', '6000', '--stalled-ms', '1000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const w: WorkerProc = { proc, events: [], exited: new Promise((r) => proc.once('exit', (code) => r(code))) };
  let buf = '';
  proc.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const e = JSON.parse(line) as { event: string; job?: string };
      w.events.push(e);
      onEvent(w, e);
    }
  });
  return w;
}

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
