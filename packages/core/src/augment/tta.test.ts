import { describe, expect, it } from 'vitest';
import { averageViews, TTA_VIEWS, ttaViews } from './tta.ts';

describe('test-time augmentation views', () => {
  it('identity, mirror and two 90 % crops, all at the input size', () => {
    const h = 10;
    const w = 10;
    // A horizontal ramp: red = x·20, green = y·20.
    const rgb = new Uint8Array(h * w * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgb.set([x * 20, y * 20, 7], (y * w + x) * 3);
    const views = ttaViews(rgb, [h, w]);
    expect(views).toHaveLength(TTA_VIEWS);
    expect(views[0]).toBe(rgb);
    expect(views.every((v) => v.length === rgb.length)).toBe(true);
    expect(views[1]![0]).toBe(180); // the mirror's first pixel is the original's last column
    expect(views[1]![(w - 1) * 3]).toBe(0);
    // The top-left crop never reaches the last column's red (180); the bottom-right never the first's (0).
    const reds = (v: Uint8Array): number[] => Array.from({ length: h * w }, (_, i) => v[i * 3] as number);
    expect(Math.max(...reds(views[2]!))).toBeLessThan(180);
    expect(Math.min(...reds(views[3]!))).toBeGreaterThan(0);
    expect(() => ttaViews(rgb, [h, w + 1])).toThrow(RangeError);
  });

  it('averages each image\'s views', () => {
    const probs = [1, 0, 0, 1, 0.5, 0.5, 0.5, 0.5]; // 2 images × 2 views × 2 classes
    expect(Array.from(averageViews(probs, 2, 2))).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(() => averageViews([1, 2, 3], 2, 2)).toThrow(RangeError);
  });
});
