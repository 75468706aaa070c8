/** A seeded pseudo-random stream: same seed, same sequence, on every platform. */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n); `n` must be a positive integer. */
  int(n: number): number;
  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** True with probability `p`. */
  bool(p?: number): boolean;
  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<T>(items: T[]): T[];
  /** An independent stream derived from this one's seed and `stream` (does not advance this one). */
  fork(stream: number): Rng;
}

/** splitmix32: turns one 32-bit seed into well-mixed state words. */
function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * Seeded PRNG (sfc32 generator, state seeded through splitmix32). Deterministic across
 * Node and browsers; not cryptographic.
 * @example const rng = createRng(42); rng.shuffle(indices); rng.int(10);
 */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`createRng: seed must be a finite number, got ${seed}`);
  const mix = splitmix32(Math.trunc(seed) ^ Math.trunc(seed / 0x100000000));
  let a = mix();
  let b = mix();
  let c = mix();
  let d = mix();
  const nextU32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  // Discard the first outputs, as sfc32's authors recommend.
  for (let i = 0; i < 12; i++) nextU32();

  const rng: Rng = {
    next: () => nextU32() / 0x100000000,
    int(n: number): number {
      if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Rng.int: n must be a positive integer, got ${n}`);
      return Math.floor(rng.next() * n);
    },
    uniform: (lo: number, hi: number) => lo + (hi - lo) * rng.next(),
    bool: (p = 0.5) => rng.next() < p,
    shuffle<T>(items: T[]): T[] {
      for (let i = items.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        const tmp = items[i] as T;
        items[i] = items[j] as T;
        items[j] = tmp;
      }
      return items;
    },
    fork: (stream: number) => createRng((Math.trunc(seed) * 0x9e3779b1 + Math.trunc(stream) * 0x85ebca6b + 0x632be5ab) | 0),
  };
  return rng;
}
