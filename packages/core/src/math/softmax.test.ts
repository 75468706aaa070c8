import { describe, expect, it } from 'vitest';
import { softmax, topK } from './softmax.ts';

describe('softmax', () => {
  it('normalises each row and matches exp(x)/sum(exp) by hand', () => {
    const p = softmax(Float32Array.from([0, Math.log(3), 1, 1]), 2);
    expect(p[0]).toBeCloseTo(0.25, 6);
    expect(p[1]).toBeCloseTo(0.75, 6);
    expect(p[2]).toBeCloseTo(0.5, 6);
    expect(p[3]).toBeCloseTo(0.5, 6);
  });
  it('is stable for large logits', () => {
    const p = softmax([1000, 1001, 1002], 3);
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const s = e[0]! + e[1]! + e[2]!;
    for (let i = 0; i < 3; i++) expect(p[i]).toBeCloseTo(e[i]! / s, 6);
    expect(Array.from(p).some(Number.isNaN)).toBe(false);
  });
  it('rejects a ragged layout', () => {
    expect(() => softmax([1, 2, 3], 2)).toThrow(RangeError);
  });
});

describe('topK', () => {
  const labels = ['cat', 'dog', 'fox', 'owl'];
  it('ranks best first, ties by index, clamps k', () => {
    expect(topK([0.1, 0.4, 0.4, 0.1], labels, 3)).toEqual([
      { label: 'dog', index: 1, probability: 0.4 },
      { label: 'fox', index: 2, probability: 0.4 },
      { label: 'cat', index: 0, probability: 0.1 },
    ]);
    expect(topK([0.1, 0.2, 0.3, 0.4], labels, 10).map((e) => e.label)).toEqual(['owl', 'fox', 'dog', 'cat']);
    expect(topK([0.1, 0.2, 0.3, 0.4], labels, 0)).toEqual([]);
  });
  it('rejects mismatched labels', () => {
    expect(() => topK([0.5, 0.5], labels, 1)).toThrow(/2 probabilities but 4 labels/);
  });
});
