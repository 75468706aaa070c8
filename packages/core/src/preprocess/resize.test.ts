import { describe, expect, it } from 'vitest';
import { computeResizeGeometry, resizeRgb } from './resize.ts';

describe('computeResizeGeometry', () => {
  it('cover scales the short side to fit and centre-crops the long side', () => {
    expect(computeResizeGeometry([480, 640], [224, 224], 'cover')).toEqual({
      scaled: [224, 299],
      crop: { top: 0, left: 38, height: 224, width: 224 },
      offset: { top: 0, left: 0 },
      output: [224, 224],
    });
  });
  it('contain fits the long side and pads the short side, centred', () => {
    expect(computeResizeGeometry([480, 640], [224, 224], 'contain')).toEqual({
      scaled: [168, 224],
      crop: { top: 0, left: 0, height: 168, width: 224 },
      offset: { top: 28, left: 0 },
      output: [224, 224],
    });
  });
  it('stretch ignores the aspect ratio; bad sizes are a RangeError', () => {
    expect(computeResizeGeometry([10, 30], [4, 4], 'stretch').scaled).toEqual([4, 4]);
    expect(() => computeResizeGeometry([0, 3], [4, 4], 'cover')).toThrow(RangeError);
  });
});

describe('resizeRgb', () => {
  it('is the identity at the same size, and keeps a constant colour constant', () => {
    const src = Uint8Array.from({ length: 4 * 5 * 3 }, (_, i) => (i * 37) % 256);
    expect(resizeRgb(src, [4, 5], [4, 5], 'cover')).toEqual(src);
    const flat = new Uint8Array(30 * 20 * 3).fill(0).map((_, i) => [10, 200, 99][i % 3]!);
    const out = resizeRgb(flat, [30, 20], [7, 9], 'stretch');
    expect(out.length).toBe(7 * 9 * 3);
    for (let i = 0; i < out.length; i++) expect(out[i]).toBe([10, 200, 99][i % 3]);
  });
  it('contain pads with the background colour', () => {
    const white = new Uint8Array(10 * 20 * 3).fill(255);
    const out = resizeRgb(white, [10, 20], [10, 10], 'contain', [1, 2, 3]);
    // scaled to 5x10, centred at top 2: rows 0,1 and 7..9 are padding
    expect(Array.from(out.subarray(0, 3))).toEqual([1, 2, 3]);
    expect(Array.from(out.subarray(2 * 30, 2 * 30 + 3))).toEqual([255, 255, 255]);
    expect(Array.from(out.subarray(7 * 30, 7 * 30 + 3))).toEqual([1, 2, 3]);
  });
  it('downscales by averaging (antialiased): a 2x2 checkerboard to 1x1 is grey', () => {
    const chk = Uint8Array.from([0, 0, 0, 255, 255, 255, 255, 255, 255, 0, 0, 0]);
    expect(Array.from(resizeRgb(chk, [2, 2], [1, 1], 'stretch'))).toEqual([128, 128, 128]);
  });
});
