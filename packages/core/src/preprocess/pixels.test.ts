import { describe, expect, it } from 'vitest';
import { dropAlphaToRgb, grayscaleRgbInPlace, toModelPixels } from './pixels.ts';
import { resizeRgb } from './resize.ts';

describe('shared pixel steps', () => {
  it('drops alpha (keeps stored RGB, even at alpha 0) and replicates grey', () => {
    expect([...dropAlphaToRgb([200, 100, 50, 0, 1, 2, 3, 128], 2, 4)]).toEqual([200, 100, 50, 1, 2, 3]);
    expect([...dropAlphaToRgb([9, 255, 40, 3], 2, 2)]).toEqual([9, 9, 9, 40, 40, 40]);
    expect([...dropAlphaToRgb([7], 1, 1)]).toEqual([7, 7, 7]);
    expect(() => dropAlphaToRgb([1, 2], 1, 3)).toThrow(RangeError);
  });

  it('grayscale is Rec. 709 luma, rounded, on all three channels', () => {
    const l = Math.round(0.2126 * 200 + 0.7152 * 100 + 0.0722 * 50);
    expect([...grayscaleRgbInPlace(Uint8Array.from([200, 100, 50, 60, 60, 60]))]).toEqual([l, l, l, 60, 60, 60]);
  });

  it('toModelPixels = luma then resizeRgb, without mutating its input', () => {
    const rgb = Uint8Array.from({ length: 5 * 7 * 3 }, (_, i) => (i * 37) % 256);
    const copy = Uint8Array.from(rgb);
    const grey = toModelPixels(rgb, [5, 7], { size: [3, 3], resize: 'cover', grayscale: true });
    expect(rgb).toEqual(copy);
    expect(grey).toEqual(resizeRgb(grayscaleRgbInPlace(Uint8Array.from(rgb)), [5, 7], [3, 3], 'cover'));
    expect(toModelPixels(rgb, [5, 7], { size: [4, 2], resize: 'stretch' })).toEqual(resizeRgb(rgb, [5, 7], [4, 2], 'stretch'));
  });
});
