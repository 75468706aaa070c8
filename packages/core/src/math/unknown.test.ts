import { describe, expect, it } from 'vitest';
import { decideLabel, thresholdForPrecision, UNKNOWN_LABEL, UnknownRecordSchema } from './unknown.ts';
import { encodeHeadstartMetadata, parseHeadstartMetadata } from '../formats/onnx-metadata.ts';

describe('unknown threshold', () => {
  it('answers unknown only below the threshold, keeping the top label otherwise', () => {
    expect(decideLabel('cat', 0.59, 0.6)).toEqual({ label: UNKNOWN_LABEL, unknown: true });
    expect(decideLabel('cat', 0.6, 0.6)).toEqual({ label: 'cat', unknown: false });
    expect(decideLabel('cat', 0.01, undefined)).toEqual({ label: 'cat', unknown: false });
  });

  it('chooses the smallest threshold that reaches the target precision on held-out rows', () => {
    // top-1 probabilities 0.9 (right), 0.8 (right), 0.7 (wrong), 0.6 (right), 0.55 (wrong)
    const rows = [
      [0.9, 0.1],
      [0.8, 0.2],
      [0.3, 0.7],
      [0.6, 0.4],
      [0.45, 0.55],
    ];
    const probs = rows.flat();
    const labels = [0, 0, 0, 0, 0];
    expect(thresholdForPrecision(probs, labels, 2, 1)).toEqual({ below: 0.8, precision: 1, coverage: 0.4 });
    expect(thresholdForPrecision(probs, labels, 2, 0.75)).toEqual({ below: 0.6, precision: 0.75, coverage: 0.8 });
    expect(thresholdForPrecision(probs, [1, 1, 0, 1, 0], 2, 0.99)).toBeUndefined();
  });

  it('travels through ONNX metadata and refuses a threshold outside (0, 1)', () => {
    const meta = Object.fromEntries(encodeHeadstartMetadata({ labels: ['a', 'b'], inputSize: [8, 8], unknownBelow: 0.6 }).map((e) => [e.key, e.value]));
    expect(parseHeadstartMetadata(meta).unknownBelow).toBe(0.6);
    expect(() => parseHeadstartMetadata({ ...meta, 'headstart.unknown_below': '1.5' })).toThrow(/between 0 and 1/);
    expect(() => encodeHeadstartMetadata({ unknownBelow: 0 })).toThrow();
    expect(UnknownRecordSchema.safeParse({ below: 0.6 }).success).toBe(true);
  });
});
