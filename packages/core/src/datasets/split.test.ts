import { describe, expect, it } from 'vitest';
import { assignSplits, stratifiedSplit } from './split.ts';
import type { DatasetItem } from './types.ts';

/** 3 classes of 100, 40 and 7 images, interleaved. */
function items(): { label: number }[] {
  const out: { label: number }[] = [];
  const counts = [100, 40, 7];
  for (let i = 0; i < 200; i++) {
    counts.forEach((c, label) => {
      if (i < c) out.push({ label });
    });
  }
  return out;
}

describe('stratifiedSplit', () => {
  it('keeps each class proportion within one image and partitions all indices', () => {
    const data = items();
    const s = stratifiedSplit(data, { val: 0.2, test: 0.1 }, 7);
    const all = [...s.train, ...s.val, ...s.test].sort((a, b) => a - b);
    expect(all).toEqual(data.map((_, i) => i));
    for (const [label, n] of [[0, 100], [1, 40], [2, 7]] as const) {
      const inVal = s.val.filter((i) => data[i]?.label === label).length;
      const inTest = s.test.filter((i) => data[i]?.label === label).length;
      expect(Math.abs(inVal - n * 0.2)).toBeLessThanOrEqual(1);
      expect(Math.abs(inTest - n * 0.1)).toBeLessThanOrEqual(1);
      expect(inVal).toBeGreaterThanOrEqual(1);
    }
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const data = items();
    const a = stratifiedSplit(data, { val: 0.25, test: 0 }, 1);
    const b = stratifiedSplit(data, { val: 0.25, test: 0 }, 1);
    const c = stratifiedSplit(data, { val: 0.25, test: 0 }, 2);
    expect(b).toEqual(a);
    expect(c.val).not.toEqual(a.val);
    expect(c.val.length).toBe(a.val.length);
  });

  it('puts one image of every class with >= 2 images in val and keeps one in train', () => {
    const data = [{ label: 0 }, { label: 0 }, { label: 1 }, { label: 2 }, { label: 2 }, { label: 2 }];
    const s = stratifiedSplit(data, { val: 0.1, test: 0.1 }, 3);
    const valLabels = s.val.map((i) => data[i]?.label);
    expect(valLabels.sort()).toEqual([0, 2]);
    const trainLabels = new Set(s.train.map((i) => data[i]?.label));
    expect([...trainLabels].sort()).toEqual([0, 1, 2]);
    expect(s.test.map((i) => data[i]?.label)).toEqual([2]);
  });

  it('rejects fractions that leave nothing for training', () => {
    expect(() => stratifiedSplit(items(), { val: 0.6, test: 0.5 }, 1)).toThrow(RangeError);
    expect(() => stratifiedSplit(items(), { val: -0.1, test: 0 }, 1)).toThrow(RangeError);
  });
});

describe('assignSplits', () => {
  it('keeps given splits and carves val out of train when none is given', () => {
    const given: DatasetItem[] = [];
    for (let i = 0; i < 20; i++) given.push({ path: `a${i}`, label: i % 2, split: 'train' });
    for (let i = 0; i < 4; i++) given.push({ path: `t${i}`, label: i % 2, split: 'test' });
    const out = assignSplits(given, { val: 0.2, test: 0.2 }, 5);
    expect(out.filter((x) => x.split === 'test').map((x) => x.path)).toEqual(['t0', 't1', 't2', 't3']);
    expect(out.filter((x) => x.split === 'val')).toHaveLength(4);
    expect(out.filter((x) => x.split === 'train')).toHaveLength(16);
    expect(given.every((x) => x.split !== 'val')).toBe(true);
  });
});
