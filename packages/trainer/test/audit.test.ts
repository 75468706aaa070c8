import { describe, expect, it } from 'vitest';
import { createRng, softmax } from '@headstart/core';
import { classThresholds, findLabelIssues, findNearDuplicates, selectBackend } from '../src/index.ts';
import { chooseUnknown, fitCalibration, foldTemperature } from '../src/train/calibrate.ts';
import { tfc, tfl } from '../src/tf.ts';

describe('confident learning (findLabelIssues)', () => {
  // Three classes; image 3 is labelled 0 but the probe is sure it is a 2; image 4 is a hard but correct 1.
  const probs = [0.9, 0.05, 0.05, 0.8, 0.1, 0.1, 0.1, 0.85, 0.05, 0.05, 0.05, 0.9, 0.3, 0.4, 0.3, 0.05, 0.1, 0.85, 0.1, 0.8, 0.1];
  const labels = [0, 0, 1, 0, 1, 2, 1];
  it('thresholds are the mean self-confidence of each class', () => {
    const t = classThresholds(probs, labels, 3);
    expect(t[0]).toBeCloseTo((0.9 + 0.8 + 0.05) / 3, 6);
    expect(t[2]).toBeCloseTo(0.85, 6);
  });
  it('flags the image whose confident class is another label, with that label suggested', () => {
    const issues = findLabelIssues(probs, labels, 3);
    expect(issues.map((i) => i.index)).toEqual([3]);
    expect(issues[0]).toMatchObject({ given: 0, suggested: 2 });
    expect(issues[0]?.margin).toBeCloseTo(0.05 - 0.9, 6);
  });
  it('ranks by margin, most suspect first', () => {
    const p = [0.2, 0.8, 0.45, 0.55, 0.05, 0.95, 0.9, 0.1, 0.9, 0.1, 0.1, 0.9];
    const issues = findLabelIssues(p, [0, 0, 0, 0, 1, 1], 2);
    // Thresholds 0.4 (class 0) and 0.5 (class 1); margins −0.9, −0.8, −0.6, −0.1.
    expect(issues.map((i) => i.index)).toEqual([2, 4, 0, 1]);
  });
});

describe('findNearDuplicates', () => {
  it('finds pairs by cosine of the embeddings from their Gram matrix, most similar first', () => {
    const x = [
      [1, 0, 0],
      [0.99, 0.05, 0],
      [0, 1, 0],
      [0, 0.96, 0.28],
    ];
    const gram = x.flatMap((a) => x.map((b) => a.reduce((s, v, i) => s + v * (b[i] as number), 0)));
    const pairs = findNearDuplicates(gram, 4, 0.95);
    expect(pairs.map((p) => [p.a, p.b])).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(pairs[0]?.similarity).toBeGreaterThan(pairs[1]?.similarity ?? 1);
  });
});

describe('temperature calibration', () => {
  it('measures the ECE drop on held-out halves and folds T into the softmax layer', async () => {
    await selectBackend('cpu');
    // An over-confident classifier: log-probabilities 3× too sharp.
    const rng = createRng(4);
    const n = 400;
    const z = new Float32Array(n * 3);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const row = [rng.next() * 3, rng.next() * 3, rng.next() * 3];
      const p = softmax(row, 3);
      const u = rng.next();
      labels[i] = u < (p[0] as number) ? 0 : u < (p[0] as number) + (p[1] as number) ? 1 : 2;
      row.forEach((v, c) => (z[i * 3 + c] = 3 * v));
    }
    const record = fitCalibration(softmax(z, 3), labels, 3, 'val');
    expect(record.temperature).toBeGreaterThan(2);
    expect(record.eceAfter).toBeLessThan(record.eceBefore / 2);
    const input = tfl.input({ shape: [2] });
    const out = tfl.layers.dense({ units: 3, activation: 'softmax', name: 'head_logits' }).apply(input) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    const x = tfc.tensor2d([[0.5, -1], [2, 0.3]]);
    const before = (model.predict(x) as tfc.Tensor).arraySync() as number[][];
    foldTemperature(model, 2.5);
    const after = (model.predict(x) as tfc.Tensor).arraySync() as number[][];
    before.forEach((row, r) => {
      const expected = softmax(row.map((p) => Math.log(p) / 2.5), 3);
      row.forEach((_, c) => expect(after[r]?.[c]).toBeCloseTo(expected[c] as number, 5));
    });
  });
});

describe('"unknown" threshold of a run', () => {
  it('keeps a given threshold, or chooses one on the calibrated held-out probabilities to a target precision', () => {
    expect(chooseUnknown({}, undefined)).toEqual({});
    expect(chooseUnknown({ unknownBelow: 0.6 }, undefined).record).toEqual({ below: 0.6 });
    // 40 held-out rows: confident ones (0.9) always right, unsure ones (0.5) right half the time.
    const probs = new Float32Array(40 * 2);
    const labels = new Int32Array(40);
    for (let i = 0; i < 40; i++) {
      const sure = i < 20;
      probs.set(sure ? [0.9, 0.1] : [0.5 + 0.001 * (i % 2), 0.5 - 0.001 * (i % 2)], i * 2);
      labels[i] = sure || i % 2 === 0 ? 0 : 1;
    }
    const calibrated = { record: fitCalibration(probs, labels, 2, 'val'), probs, labels };
    const chosen = chooseUnknown({ unknownPrecision: 0.95 }, calibrated);
    expect(chosen.record).toMatchObject({ below: expect.closeTo(0.9, 5), chosen: { target: 0.95, precision: 1, coverage: 0.5, count: 40 } });
    expect(chosen.line).toMatch(/unknown below 0\.900: .* 100\.0% right, and 50\.0% are answered "unknown"/);
    expect(chooseUnknown({ unknownPrecision: 0.95 }, undefined).line).toMatch(/fewer than 20 held-out images/);
    expect(chooseUnknown({ unknownPrecision: 0.999 }, { ...calibrated, labels: new Int32Array(40).fill(1) }).line).toMatch(/no threshold reaches precision 0.999/);
  });
});
