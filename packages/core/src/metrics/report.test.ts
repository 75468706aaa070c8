import { describe, expect, it } from 'vitest';
import { classificationReport } from './report.ts';
import { EvalReportSchema } from './report-schema.ts';

// Hand-worked example: 3 classes, 6 samples; class c is never predicted.
//   i  true  probs [a, b, c]     pred  true-class rank
//   0  a     [0.7, 0.2, 0.1]     a     0
//   1  a     [0.1, 0.6, 0.3]     b     2
//   2  b     [0.2, 0.5, 0.3]     b     0
//   3  b     [0.6, 0.3, 0.1]     a     1
//   4  b     [0.5, 0.4, 0.1]     a     1
//   5  c     [0.3, 0.6, 0.1]     b     2
const labels = ['a', 'b', 'c'];
const yTrue = [0, 0, 1, 1, 1, 2];
const probs = Float32Array.from([0.7, 0.2, 0.1, 0.1, 0.6, 0.3, 0.2, 0.5, 0.3, 0.6, 0.3, 0.1, 0.5, 0.4, 0.1, 0.3, 0.6, 0.1]);
const paths = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'];

describe('classificationReport', () => {
  const r = classificationReport(labels, yTrue, probs, { topK: [1, 2, 5], paths, topLosses: 3 });

  it('confusion matrix [actual][predicted], accuracy and top-k', () => {
    expect(r.confusion).toEqual([
      [1, 1, 0],
      [2, 1, 0],
      [0, 1, 0],
    ]);
    expect(r.count).toBe(6);
    expect(r.accuracy).toBeCloseTo(2 / 6, 12);
    expect(r.topK).toEqual({ top1: 2 / 6, top2: 4 / 6 }); // k = 5 > 3 classes is skipped
  });

  it('per-class precision/recall/F1, with 0 (not NaN) for a never-predicted class', () => {
    const [a, b, c] = r.perClass;
    expect(a).toMatchObject({ label: 'a', support: 2 });
    expect(a!.precision).toBeCloseTo(1 / 3, 12);
    expect(a!.recall).toBeCloseTo(1 / 2, 12);
    expect(a!.f1).toBeCloseTo(0.4, 12);
    expect(b!.precision).toBeCloseTo(1 / 3, 12);
    expect(b!.recall).toBeCloseTo(1 / 3, 12);
    expect(b!.f1).toBeCloseTo(1 / 3, 12);
    expect(c).toEqual({ label: 'c', precision: 0, recall: 0, f1: 0, support: 1 });
    expect(r.macroF1).toBeCloseTo((0.4 + 1 / 3) / 3, 12);
    expect(r.weightedF1).toBeCloseTo((0.4 * 2 + (1 / 3) * 3) / 6, 12);
  });

  it('confused pairs: most frequent first, ties in label order', () => {
    expect(r.confusedPairs).toEqual([
      { actual: 'b', predicted: 'a', count: 2 },
      { actual: 'a', predicted: 'b', count: 1 },
      { actual: 'c', predicted: 'b', count: 1 },
    ]);
  });

  it('top losses: highest cross-entropy first, with paths and the actual-class probability', () => {
    expect(r.topLosses.map((l) => l.path)).toEqual(['p1', 'p5', 'p3']);
    expect(r.topLosses[0]).toMatchObject({ index: 1, actual: 'a', predicted: 'b' });
    expect(r.topLosses[0]!.loss).toBeCloseTo(-Math.log(0.1), 6);
    expect(r.topLosses[0]!.probability).toBeCloseTo(0.1, 6);
    expect(r.topLosses[0]!.predictedProbability).toBeCloseTo(0.6, 6);
    expect(r.topLosses[2]!.loss).toBeCloseTo(-Math.log(0.3), 6);
  });

  it('validates against EvalReportSchema and survives JSON', () => {
    expect(EvalReportSchema.parse(JSON.parse(JSON.stringify(r)))).toEqual(r);
  });

  it('a zero-probability true class gives a finite loss; bad input is a RangeError', () => {
    const z = classificationReport(['x', 'y'], [0], [0, 1]);
    expect(Number.isFinite(z.topLosses[0]!.loss)).toBe(true);
    expect(z.topK).toEqual({ top1: 0 });
    expect(() => classificationReport(labels, [0], [1, 0])).toThrow(RangeError);
    expect(() => classificationReport(labels, [3], [1, 0, 0])).toThrow(/yTrue\[0\] = 3/);
  });
});
