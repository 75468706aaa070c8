import { describe, expect, it } from 'vitest';
import { isHeadstartError } from '@headstart/core';
import { DecodeGate } from '../src/index.ts';

const later = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('DecodeGate', () => {
  it('admits by pixels, not by count: many small images together, big ones one budget at a time', async () => {
    const gate = new DecodeGate({ pixelBudget: 100, concurrency: 8, queueSize: 16 });
    const far = performance.now() + 60_000;
    const small = await Promise.all(Array.from({ length: 4 }, () => gate.acquire(20, 1, far)));
    expect(gate.pixelsInFlight).toBe(80);
    let bigStarted = false;
    const big = gate.acquire(60, 1, far).then((release) => {
      bigStarted = true;
      return release;
    });
    await later(10);
    expect(bigStarted).toBe(false);
    expect(gate.depth).toBe(1);
    small.forEach((release) => release());
    (await big)();
    expect(bigStarted).toBe(true);
    expect(gate.pixelsInFlight).toBe(0);
    // one image over the whole budget still runs, alone
    const huge = await gate.acquire(500, 1, far);
    expect(gate.pixelsInFlight).toBe(500);
    huge();
  });

  it('refuses waiters beyond the queue (429) and sheds work that cannot start before its deadline (503), both with Retry-After', async () => {
    const gate = new DecodeGate({ pixelBudget: 100, concurrency: 1, queueSize: 1 });
    const release = await gate.acquire(100, 1, performance.now() + 60_000);
    const waiting = gate.acquire(100, 1, performance.now() + 60_000);
    const full = await gate.acquire(100, 1, performance.now() + 60_000).catch((e: unknown) => e);
    expect(isHeadstartError(full, 'QUEUE_FULL')).toBe(true);
    expect((full as { details: { retryAfterS: number } }).details.retryAfterS).toBeGreaterThanOrEqual(1);
    release();
    (await waiting)();
    // 25 MP in flight takes about a second at the assumed 20 MP/s before anything is measured:
    // a request due in 500 ms cannot start in time and is refused at once, not at its deadline.
    const busy = new DecodeGate({ pixelBudget: 25_000_000, concurrency: 1, queueSize: 8 });
    const hold = await busy.acquire(25_000_000, 1, performance.now() + 60_000);
    const t0 = performance.now();
    const shed = await busy.acquire(25_000_000, 1, performance.now() + 500).catch((e: unknown) => e);
    expect(isHeadstartError(shed, 'UNAVAILABLE')).toBe(true);
    expect(performance.now() - t0).toBeLessThan(100);
    expect((shed as { details: { retryAfterS: number } }).details.retryAfterS).toBeGreaterThanOrEqual(1);
    hold();
    expect(busy.depth).toBe(0);
  });
});
