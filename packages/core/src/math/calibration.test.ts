import { describe, expect, it } from 'vitest';
import { createRng } from '../random/rng.ts';
import { calibrationSummary, fitTemperature, temperatureNll } from './calibration.ts';
import { softmax } from './softmax.ts';

/** Logits whose softmax is the true label distribution (labels drawn from it), then multiplied by `scale`. */
function overconfident(n: number, classes: number, scale: number, seed = 1): { logits: Float32Array; labels: Int32Array } {
  const rng = createRng(seed);
  const logits = new Float32Array(n * classes);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: classes }, () => rng.next() * 4);
    const p = softmax(z, classes);
    let u = rng.next();
    let y = 0;
    while (y < classes - 1 && u >= (p[y] as number)) u -= p[y++] as number;
    labels[i] = y;
    z.forEach((v, c) => (logits[i * classes + c] = v * scale));
  }
  return { logits, labels };
}

describe('temperature scaling', () => {
  it('finds the temperature that undoes a known logit scale and lowers the NLL', () => {
    const { logits, labels } = overconfident(2000, 5, 1);
    const t1 = fitTemperature(logits, labels, 5);
    const scaled = logits.map((v) => v * 4);
    const t4 = fitTemperature(scaled, labels, 5);
    expect(t4 / t1).toBeCloseTo(4, 2);
    expect(t1).toBeGreaterThan(0.8);
    expect(t1).toBeLessThan(1.25);
    expect(temperatureNll(scaled, labels, 5, t4)).toBeLessThan(temperatureNll(scaled, labels, 5, 1));
  });
  it('halves the ECE of an over-confident classifier at least', () => {
    const { logits, labels } = overconfident(3000, 4, 5);
    const before = calibrationSummary(softmax(logits, 4), labels, 4).ece;
    const t = fitTemperature(logits, labels, 4);
    const after = calibrationSummary(softmax(logits.map((v) => v / t), 4), labels, 4).ece;
    expect(t).toBeGreaterThan(1);
    expect(after).toBeLessThan(before / 2);
  });
  it('bins by confidence and weights |accuracy − confidence| by bin size', () => {
    // Two predictions at 0.9 (one right), two at 0.6 (both right): ECE = 0.5·0.4 + 0.5·0.4.
    const probs = [0.9, 0.1, 0.9, 0.1, 0.6, 0.4, 0.4, 0.6];
    const s = calibrationSummary(probs, [0, 1, 0, 1], 2, 10);
    expect(s.ece).toBeCloseTo(0.4, 6);
    expect(s.bins.filter((b) => b.count > 0).map((b) => b.count)).toEqual([2, 2]);
  });
});
