import { createRng } from '@headstart/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { asAdam, FastAdam } from '../src/ortgrad/adam.ts';
import { tfc } from '../src/tf.ts';

beforeAll(async () => {
  await tfc.setBackend('cpu');
});

/** Two variables (one large enough to be split between threads), the optimizer and its fast mirror. */
function setup(threads: number) {
  const rng = createRng(7);
  const big = tfc.variable(tfc.tensor(Float32Array.from({ length: 300_001 }, () => rng.uniform(-1, 1))));
  const small = tfc.variable(tfc.tensor(Float32Array.from({ length: 10 }, () => rng.uniform(-1, 1))));
  const opt = tfc.train.adam(0.01);
  const adam = new FastAdam(asAdam(opt) as NonNullable<ReturnType<typeof asAdam>>, [big, small], { threads });
  return { big, small, opt, adam };
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
  it('gives the same weights and moments with the helper thread as on one thread, and as TF.js Adam within float tolerance', async () => {
    const one = setup(1);
    const two = setup(2);
    const ref = setup(1);
    const rng = createRng(8);
    try {
      for (let step = 0; step < 3; step++) {
        const grads = [Float32Array.from({ length: 300_001 }, () => rng.uniform(-1, 1)), Float32Array.from({ length: 10 }, () => rng.uniform(-1, 1))];
        one.adam.step(grads);
        two.adam.step(grads);
        ref.opt.applyGradients([{ name: ref.big.name, tensor: tfc.tensor(grads[0] as Float32Array) }, { name: ref.small.name, tensor: tfc.tensor(grads[1] as Float32Array) }]);
      }
      expect(mismatches(two.adam.weights, one.adam.weights)).toBe(0);
      for (const s of [one, two]) {
        s.adam.syncWeights();
        s.adam.flush();
      }
      const moments = (o: typeof one) => [...(asAdam(o.opt)?.accumulatedFirstMoment ?? []), ...(asAdam(o.opt)?.accumulatedSecondMoment ?? [])].map((m) => m?.variable.dataSync() as Float32Array);
      expect(moments(two)).toHaveLength(4);
      expect(mismatches(moments(two), moments(one))).toBe(0);
      const want = ref.big.dataSync() as Float32Array;
      const got = two.big.dataSync() as Float32Array;
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs((got[i] as number) - (want[i] as number)));
      expect(worst).toBeLessThan(1e-5);
    } finally {
      one.adam.close();
      two.adam.close();
    }
  });
});
