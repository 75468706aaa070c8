import { describe, expect, it } from 'vitest';
import { classChannel, heatColor, heatPeak, normalizeHeat, overlayHeat, resizeHeat, weightedChannelSum } from './heatmap.ts';

describe('Grad-CAM heat map math', () => {
  it('weightedChannelSum is ReLU(Σ α_k A_k) per position', () => {
    // 1×2 map, 2 channels: position 0 = (1, 2), position 1 = (3, -4).
    const m = weightedChannelSum(Float32Array.from([1, 2, 3, -4]), 1, 2, [2, 1]);
    expect(Array.from(m.data)).toEqual([4, 2]);
    const neg = weightedChannelSum(Float32Array.from([1, 2, 3, -4]), 1, 2, [-1, 0]);
    expect(Array.from(neg.data)).toEqual([0, 0]);
    expect(() => weightedChannelSum(new Float32Array(3), 1, 2, [1, 1])).toThrow(RangeError);
  });

  it('classChannel picks one class of an NHWC cam and clips negatives', () => {
    const cam = Float32Array.from([1, -1, -2, 5]); // 1×2, 2 classes
    expect(Array.from(classChannel(cam, 1, 2, 2, 1).data)).toEqual([0, 5]);
    expect(() => classChannel(cam, 1, 2, 2, 2)).toThrow(RangeError);
  });

  it('normalizeHeat scales by the maximum; an all-zero map stays zero', () => {
    expect(Array.from(normalizeHeat({ data: Float32Array.from([0, 2, 4, 1]), height: 2, width: 2 }).data)).toEqual([0, 0.5, 1, 0.25]);
    expect(Array.from(normalizeHeat({ data: new Float32Array(4), height: 2, width: 2 }).data)).toEqual([0, 0, 0, 0]);
  });

  it('resizeHeat keeps a constant map constant and the peak where it was', () => {
    const flat = resizeHeat({ data: new Float32Array(4).fill(0.7), height: 2, width: 2 }, 5, 7);
    expect(flat.data.every((v) => Math.abs(v - 0.7) < 1e-6)).toBe(true);
    const peak = new Float32Array(16);
    peak[3 * 4 + 0] = 1; // bottom-left cell of a 4×4 map
    const big = resizeHeat({ data: peak, height: 4, width: 4 }, 16, 16);
    const p = heatPeak(big);
    expect(p.row).toBeGreaterThanOrEqual(12);
    expect(p.col).toBeLessThan(4);
  });

  it('heatColor runs blue → green → red', () => {
    const [r0, , b0] = heatColor(0);
    const [r1, , b1] = heatColor(1);
    const [, g5] = heatColor(0.5);
    expect(b0).toBeGreaterThan(r0);
    expect(r1).toBeGreaterThan(b1);
    expect(g5).toBe(255);
  });

  it('overlayHeat tints hot pixels towards red and leaves the size unchanged', () => {
    const grey = new Uint8Array(2 * 2 * 3).fill(128);
    const heat = { data: Float32Array.from([0, 0, 0, 1]), height: 2, width: 2 };
    const out = overlayHeat(grey, 2, 2, heat);
    expect(out).toHaveLength(12);
    expect(out[9]).toBeGreaterThan(out[11]!); // hot pixel: red > blue
    expect(out[2]).toBeGreaterThan(out[0]!); // cold pixel: blue > red
    expect(() => overlayHeat(grey, 3, 3, heat)).toThrow(RangeError);
  });
});
