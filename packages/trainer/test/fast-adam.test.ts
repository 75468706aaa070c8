import { createRng } from '@headstart/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { asAdam, FAST_ADAM_MAX_VALUES, FastAdam } from '../src/ortgrad/adam.ts';
import { tfc } from '../src/tf.ts';

beforeAll(async () => {
  await tfc.setBackend('cpu');
});

/**
 * Lengths of the test's weights: with two threads the helper takes the values from the middle of
 * their concatenation on, so the first two stay on the main thread, the third is cut (at 24999 of
 * 200000: inside a lane of the SIMD kernel), the last is the helper's. Lengths not a multiple of
 * four exercise the padded lanes.
 */
const LENGTHS = [10, 150_001, 200_000, 10];

/** The variables, the optimizer and its fast mirror. */
function setup(threads: number) {
  const rng = createRng(7);
  const vars = LENGTHS.map((n) => tfc.variable(tfc.tensor(Float32Array.from({ length: n }, () => rng.uniform(-1, 1)))));
  const opt = tfc.train.adam(0.01);
  const adam = new FastAdam(asAdam(opt) as NonNullable<ReturnType<typeof asAdam>>, vars, { threads });
  return { vars, opt, adam };
}

/** How many values differ (bitwise) between two lists of arrays of the same shapes. */
function mismatches(a: Float32Array[], b: Float32Array[]): number {
  let n = 0;
  a.forEach((x, i) => {
    const y = b[i] as Float32Array;
    expect(x.length).toBe(y.length);
    for (let k = 0; k < x.length; k++) if (!Object.is(x[k], y[k])) n++;
  });
  return n;
}

describe('FastAdam', () => {
  it("gives TF.js Adam's own float32 results, bitwise, on one thread and with the helper thread", async () => {
    const one = setup(1);
    const two = setup(2);
    const ref = setup(1);
    const rng = createRng(8);
    try {
      for (let step = 0; step < 3; step++) {
        const grads = LENGTHS.map((n) => Float32Array.from({ length: n }, () => rng.uniform(-1, 1)));
        one.adam.step(grads);
        two.adam.step(grads);
        ref.opt.applyGradients(ref.vars.map((v, i) => ({ name: v.name, tensor: tfc.tensor(grads[i] as Float32Array) })));
      }
      const want = ref.vars.map((v) => v.dataSync() as Float32Array);
      expect(mismatches(one.adam.weights, want)).toBe(0);
      expect(mismatches(two.adam.weights, want)).toBe(0);
      for (const s of [one, two]) {
        s.adam.syncWeights();
        s.adam.flush();
        expect(mismatches(s.vars.map((v) => v.dataSync() as Float32Array), want)).toBe(0);
      }
      const moments = (o: typeof one) => [...(asAdam(o.opt)?.accumulatedFirstMoment ?? []), ...(asAdam(o.opt)?.accumulatedSecondMoment ?? [])].map((m) => m?.variable.dataSync() as Float32Array);
      expect(moments(two)).toHaveLength(2 * LENGTHS.length);
      expect(mismatches(moments(one), moments(ref))).toBe(0);
      expect(mismatches(moments(two), moments(ref))).toBe(0);
      const betas = (o: typeof one) => [asAdam(o.opt)?.accBeta1.dataSync()[0], asAdam(o.opt)?.accBeta2.dataSync()[0]];
      expect(betas(two)).toEqual(betas(ref));
      // A new mirror of the flushed state (as a resumed run makes) loads non-zero moments into both threads' parts.
      const resumed = new FastAdam(asAdam(two.opt) as NonNullable<ReturnType<typeof asAdam>>, two.vars, { threads: 2 });
      try {
        const grads = LENGTHS.map((n) => Float32Array.from({ length: n }, () => rng.uniform(-1, 1)));
        resumed.step(grads);
        ref.opt.applyGradients(ref.vars.map((v, i) => ({ name: v.name, tensor: tfc.tensor(grads[i] as Float32Array) })));
        expect(mismatches(resumed.weights, ref.vars.map((v) => v.dataSync() as Float32Array))).toBe(0);
      } finally {
        resumed.close();
      }
    } finally {
      one.adam.close();
      two.adam.close();
    }
  });

  it('declines top models too large to mirror (the fit loop then keeps TF.js\'s own Adam)', () => {
    const sized = (n: number) => ({ size: n }) as unknown as tfc.Variable;
    expect(FastAdam.fits([sized(FAST_ADAM_MAX_VALUES - 10), sized(10)])).toBe(true);
    expect(FastAdam.fits([sized(FAST_ADAM_MAX_VALUES - 10), sized(11)])).toBe(false);
  });
});
