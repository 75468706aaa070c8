import { describe, expect, it } from 'vitest';
import { createRng } from '@headstart/core';
import { crossValidate, pickProbe, pooledDim, stratifiedFolds, type ProbeResult } from '../src/index.ts';
import { choleskySolve, gram, ridgeCorrect } from '../src/probe/ridge.ts';

describe('stratifiedFolds', () => {
  it('deals each class evenly over the folds, reproducibly', () => {
    const labels = Int32Array.from([...Array(10).fill(0), ...Array(10).fill(1), ...Array(5).fill(2)]);
    const a = stratifiedFolds(labels, 5, createRng(1));
    expect(Array.from(a)).toEqual(Array.from(stratifiedFolds(labels, 5, createRng(1))));
    for (const c of [0, 1, 2]) {
      const per = new Array(5).fill(0);
      a.forEach((f, i) => labels[i] === c && per[f]++);
      expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1);
    }
  });
});

describe('crossValidate', () => {
  // 3 classes × 12 samples of [2, 2, 4] features; class c lifts channel c (plus noise), channel 3 is noise with a huge scale.
  const rng = createRng(9);
  const n = 36;
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  const data = new Float32Array(n * 16);
  for (let i = 0; i < n; i++) for (let p = 0; p < 4; p++) for (let c = 0; c < 4; c++) data[i * 16 + p * 4 + c] = (c === labels[i] ? 2 : 0) + rng.uniform(-1, 1) + (c === 3 ? rng.uniform(-500, 500) : 0);
  const block = { data, shape: [2, 2, 4] };
  const base = { k: 4, classes: 3, epsilon: 1e-3 };

  it('scores separable features high and shuffled labels near chance', () => {
    const folds = [stratifiedFolds(labels, 4, createRng(2)), stratifiedFolds(labels, 4, createRng(3))];
    expect(pooledDim(block.shape, 'avg')).toBe(4);
    expect(pooledDim(block.shape, 'flatten')).toBe(16);
    expect(crossValidate(block, labels, { ...base, folds, pooling: 'avg' })).toBeGreaterThan(0.9);
    expect(crossValidate(block, labels, { ...base, folds, pooling: 'flatten' })).toBeGreaterThan(0.8);
    const shuffled = createRng(4).shuffle([...labels]);
    const sl = Int32Array.from(shuffled);
    expect(crossValidate(block, sl, { ...base, folds: [stratifiedFolds(sl, 4, createRng(2))], pooling: 'avg' })).toBeLessThan(0.6);
    // An extra (augmented) pass that is pure noise dilutes the training rows: never better than without it here.
    const noise = Float32Array.from(data, () => rng.uniform(-500, 500));
    expect(crossValidate(block, labels, { ...base, folds, pooling: 'avg', extra: { data: noise, shape: [2, 2, 4] } })).toBeLessThan(crossValidate(block, labels, { ...base, folds, pooling: 'avg' }));
  });
});

describe('pickProbe', () => {
  const r = (cut: string, accuracy: number): ProbeResult => ({ cut, pooling: 'avg', dim: 1, accuracy });
  it('takes the best, unless the default (first) is within a point of it', () => {
    expect(pickProbe([r('a', 0.7), r('b', 0.705), r('c', 0.8)]).cut).toBe('c');
    expect(pickProbe([r('a', 0.795), r('b', 0.8)]).cut).toBe('a');
    // Between two non-default candidates the measured best wins, however close.
    expect(pickProbe([r('a', 0.5), r('b', 0.795), r('c', 0.8)]).cut).toBe('c');
    expect(pickProbe([r('a', 0.5), r('b', 0.8), r('c', 0.8)]).cut).toBe('b');
    expect(() => pickProbe([])).toThrow(RangeError);
  });
});

describe('ridge probe', () => {
  it('solves SPD systems and classifies by kernel ridge regression', () => {
    // [[4, 2], [2, 3]] · x = [[2], [5]] → x = [-0.5, 2].
    expect(Array.from(choleskySolve(Float64Array.from([4, 2, 2, 3]), Float64Array.from([2, 5]), 2, 1)).map((v) => Number(v.toFixed(12)))).toEqual([-0.5, 2]);
    expect(() => choleskySolve(Float64Array.from([1, 2, 2, 1]), Float64Array.from([1, 1]), 2, 1)).toThrow(RangeError);
    // Two clusters on a line: train on four points, test two.
    const x = Float32Array.from([-2, -1.5, 1.5, 2, -1.8, 1.7]);
    const k = gram(x, 6, 1);
    expect(k[1 * 6 + 2]).toBeCloseTo(-2.25, 6);
    expect(ridgeCorrect(k, 6, [0, 0, 1, 1, 0, 1], 2, [0, 1, 2, 3], [4, 5], 0.1)).toBe(2);
    expect(ridgeCorrect(k, 6, [0, 0, 1, 1, 1, 0], 2, [0, 1, 2, 3], [4, 5], 0.1)).toBe(0);
  });
});
