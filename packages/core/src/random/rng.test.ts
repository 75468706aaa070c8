import { describe, expect, it } from 'vitest';
import { createRng } from './rng.ts';

describe('createRng', () => {
  it('is deterministic under a seed and differs across seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const sa = Array.from({ length: 20 }, () => a.next());
    const sb = Array.from({ length: 20 }, () => b.next());
    const sc = Array.from({ length: 20 }, () => c.next());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });

  it('next() stays in [0,1) with a plausible mean; int(n) covers [0,n)', () => {
    const rng = createRng(7);
    let sum = 0;
    const counts = new Array<number>(5).fill(0);
    for (let i = 0; i < 20000; i++) {
      const v = rng.next();
      expect(v >= 0 && v < 1).toBe(true);
      sum += v;
      const k = rng.int(5);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    expect(sum / 20000).toBeGreaterThan(0.49);
    expect(sum / 20000).toBeLessThan(0.51);
    for (const n of counts) expect(n).toBeGreaterThan(3700);
    expect(() => rng.int(0)).toThrow(RangeError);
    expect(() => rng.int(2.5)).toThrow(RangeError);
  });

  it('shuffle is a seeded permutation', () => {
    const x = createRng(1).shuffle(Array.from({ length: 50 }, (_, i) => i));
    const y = createRng(1).shuffle(Array.from({ length: 50 }, (_, i) => i));
    expect(x).toEqual(y);
    expect([...x].sort((p, q) => p - q)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(x).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('fork gives independent, reproducible streams without advancing the parent', () => {
    const r = createRng(5);
    const f1 = r.fork(1).next();
    const f2 = r.fork(2).next();
    expect(f1).not.toBe(f2);
    expect(createRng(5).fork(1).next()).toBe(f1);
    expect(r.next()).toBe(createRng(5).next());
  });
});
