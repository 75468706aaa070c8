import { describe, expect, it } from 'vitest';
import { createRng } from '@headstart/core';
import { crossValidate, crossValidateOutcomes, pickProbe, pooledDim, PROBE_TIE_SE, probeReason, probeTies, stratifiedFolds, type FeatureBlock, type ProbeResult } from '../src/index.ts';
import { pairedDifference, pickExplanation } from '../src/probe/pick.ts';
import { cutScores } from '../src/train/decision.ts';
import { measureProbes } from '../src/advise.ts';
import { argmax, choleskySolve, gram, ridgeScores } from '../src/probe/ridge.ts';

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
  // excess ± se: the paired excess squared error over the lowest-error probe (0 for that probe).
  const r = (cut: string, accuracy: number, sqError: number, excess = 0, excessSe = 0): ProbeResult => ({ cut, pooling: 'avg', dim: 1, accuracy, sqError, excess, excessSe });
  it('takes the most accurate of the probes within one paired standard error of the lowest squared error', () => {
    // b is the most accurate, but clearly worse in squared error (0.05 ± 0.01): not a tie. c (lowest) and d tie: d is more accurate.
    expect(pickProbe([r('a', 0.5, 0.9, 0.3, 0.02), r('b', 0.8, 0.67, 0.05, 0.01), r('c', 0.74, 0.62), r('d', 0.76, 0.625, 0.005, 0.006)]).cut).toBe('d');
    // Only the lowest-error probe in its tie set: it wins even with the lower accuracy.
    expect(pickProbe([r('a', 0.8, 0.7, 0.08, 0.02), r('b', 0.7, 0.62)]).cut).toBe('b');
    // The default (first) has no benefit of the doubt beyond the rule; among equal accuracies the earlier wins.
    expect(pickProbe([r('a', 0.7, 0.49), r('b', 0.7, 0.5, 0.01, 0.02)]).cut).toBe('a');
    expect(pickProbe([r('a', 0.5, 0.9, 0.3, 0.01), r('b', 0.8, 0.61, 0.01, 0.02), r('c', 0.8, 0.6)]).cut).toBe('b');
    expect(probeTies([r('a', 0.5, 0.9, 0.3, 0.01), r('b', 0.8, 0.61, 0.01, 0.02), r('c', 0.8, 0.6)]).ties.map((p) => p.cut)).toEqual(['b', 'c']);
    expect(PROBE_TIE_SE).toBe(1);
    expect(() => pickProbe([])).toThrow(RangeError);
  });

  it('states the rule and the numbers in its reason', () => {
    const probes = [r('out', 0.5, 0.8, 0.19, 0.02), r('mid', 0.74, 0.61), r('low', 0.75, 0.615, 0.005, 0.01)];
    const chosen = pickProbe(probes);
    expect(chosen.cut).toBe('low');
    expect(probeReason(probes, chosen, probes[0] as ProbeResult)).toBe(
      'cut at low with avg pooling (earlier cuts keep more generic, spatial features): the most accurate of the 2 probes within 1 standard error (paired over images) of the lowest cross-validated squared error of the scores: low/avg 75.0%, 0.615 (+0.005 ± 0.010); mid/avg 74.0%, 0.610; next beyond them out/avg 50.0%, 0.800 (+0.190 ± 0.020) (accuracy, squared error; squared error ranks with less noise than accuracy on few images)',
    );
    expect(probeReason(probes.slice(0, 1), probes[0] as ProbeResult, probes[0] as ProbeResult)).toMatch(/^keep the default cut out with avg pooling: the lowest cross-validated squared error of the probe's scores, out\/avg 50.0%, 0.800 \(/);
  });

  it("puts the rule in the decision block's cut line only when the measurement chose the cut", () => {
    const probes = [r('out', 0.5, 0.8, 0.19, 0.02), r('mid', 0.74, 0.61), r('low', 0.75, 0.615, 0.005, 0.01)];
    expect(cutScores(probes, probes[2] as ProbeResult)).toBe(`probe 75.0%, squared error 0.615: ${pickExplanation(probes, probes[2] as ProbeResult)}`);
    // A cut given by flag (--cut out): its own numbers, no claim about the rule.
    expect(cutScores(probes, probes[0] as ProbeResult)).toBe('probe 50.0%, squared error 0.800');
  });

  it('pairs the squared errors over the same images', () => {
    // b is worse than a on every image by 0.1 ± tiny: a consistent excess, far beyond its standard error.
    expect(pairedDifference([0.5, 0.7, 0.3], [0.4, 0.6, 0.2]).mean).toBeCloseTo(0.1, 12);
    expect(pairedDifference([0.5, 0.7, 0.3], [0.4, 0.6, 0.2]).se).toBeCloseTo(0, 12);
    // Differences +0.2 and −0.2: mean 0, standard error 0.2 (sd 0.283 / √2).
    expect(pairedDifference([0.6, 0.2], [0.4, 0.4]).se).toBeCloseTo(0.2, 12);
  });

  it('prefers features that separate every image by a wide margin when accuracy cannot tell them apart', () => {
    // Two classes, 40 images; both feature sets classify every image right in CV, but "wide" lies far from the boundary.
    const rng = createRng(5);
    const n = 40;
    const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
    const make = (shift: number): FeatureBlock => ({ data: Float32Array.from({ length: n * 2 }, (_, j) => (j % 2 === 0 ? (labels[j >> 1] === 1 ? shift : -shift) : 0) + rng.uniform(-1, 1)), shape: [2] });
    const blocks = [make(1.6), make(6)];
    const folds = [stratifiedFolds(labels, 5, createRng(1)), stratifiedFolds(labels, 5, createRng(2))];
    const probes = measureProbes(['narrow', 'wide'], blocks, labels, { folds, k: 5, classes: 2, epsilon: 1e-3 });
    expect(probes.map((p) => p.accuracy)).toEqual([1, 1]);
    expect(probes[1]!.sqError).toBeLessThan(probes[0]!.sqError);
    // Paired over the same images, narrow's excess error is far beyond its standard error: no tie, so accuracy's tie cannot pick it.
    expect(probes[1]!.excess).toBe(0);
    expect(probes[0]!.excess).toBeGreaterThan(3 * probes[0]!.excessSe);
    expect(pickProbe(probes).cut).toBe('wide');
  });
});

describe('crossValidateOutcomes', () => {
  it('gives per-image outcomes whose mean is the accuracy crossValidate reports', () => {
    const rng = createRng(8);
    const n = 30;
    const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
    const block = { data: Float32Array.from({ length: n * 3 }, (_, j) => (j % 3 === labels[Math.floor(j / 3)] ? 1 : 0) + rng.uniform(-1.5, 1.5)), shape: [3] };
    const o = { folds: [stratifiedFolds(labels, 3, createRng(1)), stratifiedFolds(labels, 3, createRng(2))], k: 3, classes: 3, epsilon: 1e-3, pooling: 'avg' as const };
    const out = crossValidateOutcomes(block, labels, o);
    expect(out.accuracy).toBe(crossValidate(block, labels, o));
    expect(out.accuracy).toBeGreaterThan(0.4);
    expect(out.accuracy).toBeLessThan(1);
    for (const x of out.perImage) expect([0, 0.5, 1]).toContain(x);
    expect(out.sqError).toBeCloseTo(out.perImageSqError.reduce((a, b) => a + b, 0) / n, 12);
    // The held-out scores, one array per repetition, are what the outcomes were computed from.
    expect(out.scores).toHaveLength(2);
    const right = (rep: number, i: number): boolean => {
      const row = Array.from(out.scores[rep]!.subarray(i * 3, i * 3 + 3));
      return row.indexOf(Math.max(...row)) === labels[i];
    };
    out.perImage.forEach((x, i) => expect(x).toBe(((right(0, i) ? 1 : 0) + (right(1, i) ? 1 : 0)) / 2));
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
    const correct = (labels: number[]): number => {
      const scores = ridgeScores(k, 6, labels, 2, [0, 1, 2, 3], [4, 5], 0.1);
      return [4, 5].filter((i, r) => argmax(scores, r, 2) === labels[i]).length;
    };
    expect(correct([0, 0, 1, 1, 0, 1])).toBe(2);
    expect(correct([0, 0, 1, 1, 1, 0])).toBe(0);
  });
});
