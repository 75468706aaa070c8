// Node-only check that the isomorphic resize geometry is exactly sharp's (the Node decode path).
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { computeResizeGeometry, resizeRgb, createRng, type ResizeMode } from '@headstart/core';

// srcH, srcW, dstH, dstW. Contain cases include rounding ties (61/2 = 30.5 → 31).
const CONTAIN_CASES: Array<[number, number, number, number]> = [
  [33, 100, 10, 10],
  [100, 33, 10, 10],
  [77, 101, 32, 32],
  [5, 7, 3, 4],
  [50, 50, 30, 20],
  [61, 90, 45, 45],
  [63, 90, 45, 45],
];
// Cover cases use scale factors that give whole scaled sizes, so cover can be compared
// pixel-for-pixel with "fill to the scaled size, then crop" (the same resampling); odd
// margins check the centre-crop rounding (sharp: floor((scaled - dst + 1) / 2)).
const COVER_CASES: Array<[number, number, number, number]> = [
  [30, 45, 10, 10],
  [45, 30, 10, 10],
  [48, 64, 24, 24],
  [20, 60, 10, 10],
  [21, 35, 3, 3],
  [27, 36, 9, 7],
];

function noise(h: number, w: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  return Uint8Array.from({ length: h * w * 3 }, () => rng.int(256));
}

function gradient(h: number, w: number): Uint8Array {
  const out = new Uint8Array(h * w * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) out.set([Math.round((255 * x) / (w - 1)), Math.round((255 * y) / (h - 1)), Math.round((255 * (x + y)) / (w + h - 2))], (y * w + x) * 3);
  return out;
}

async function sharpResize(rgb: Uint8Array, h: number, w: number, dh: number, dw: number, fit: 'cover' | 'contain' | 'fill'): Promise<Uint8Array> {
  const buf = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
    .resize(dw, dh, { fit, background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer();
  return new Uint8Array(buf);
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

describe('computeResizeGeometry matches sharp', () => {
  for (const [sh, sw, dh, dw] of CONTAIN_CASES) {
    it(`contain ${sh}x${sw} -> ${dh}x${dw}: scaled size and padding offset`, async () => {
      const out = await sharpResize(new Uint8Array(sh * sw * 3).fill(255), sh, sw, dh, dw, 'contain');
      let top = Infinity, left = Infinity, bottom = -1, right = -1;
      for (let y = 0; y < dh; y++)
        for (let x = 0; x < dw; x++)
          if (out[(y * dw + x) * 3]! > 0) {
            top = Math.min(top, y); left = Math.min(left, x); bottom = Math.max(bottom, y); right = Math.max(right, x);
          }
      const g = computeResizeGeometry([sh, sw], [dh, dw], 'contain');
      expect({ top, left, h: bottom - top + 1, w: right - left + 1 }).toEqual({ top: g.offset.top, left: g.offset.left, h: g.scaled[0], w: g.scaled[1] });
    });
  }
  for (const [sh, sw, dh, dw] of COVER_CASES) {
    it(`cover ${sh}x${sw} -> ${dh}x${dw}: scaled size and centre crop`, async () => {
      const src = noise(sh, sw, sh * 1000 + sw);
      const g = computeResizeGeometry([sh, sw], [dh, dw], 'cover');
      const cover = await sharpResize(src, sh, sw, dh, dw, 'cover');
      const scaled = await sharpResize(src, sh, sw, g.scaled[0], g.scaled[1], 'fill');
      const cropAt = (top: number, left: number): Uint8Array => {
        const out = new Uint8Array(dh * dw * 3);
        for (let y = 0; y < dh; y++) out.set(scaled.subarray(((y + top) * g.scaled[1] + left) * 3, ((y + top) * g.scaled[1] + left + dw) * 3), y * dw * 3);
        return out;
      };
      const exact = meanAbsDiff(cover, cropAt(g.crop.top, g.crop.left));
      expect(exact).toBeLessThan(1);
      // The crop offset is discriminating: a one-pixel shift along the cropped axis is far off.
      const shifted = g.crop.left > 0 ? cropAt(g.crop.top, g.crop.left - 1) : g.crop.top > 0 ? cropAt(g.crop.top - 1, g.crop.left) : undefined;
      if (shifted) expect(meanAbsDiff(cover, shifted)).toBeGreaterThan(exact + 5);
    });
  }
});

describe('resizeRgb approximates sharp on smooth images', () => {
  const modes: Array<[ResizeMode, 'cover' | 'contain' | 'fill']> = [['cover', 'cover'], ['contain', 'contain'], ['stretch', 'fill']];
  for (const [mode, fit] of modes) {
    it(`${mode}: mean |diff| under 0.5 levels downscaling, under 3.5 upscaling`, async () => {
      // Upscaling differs more: libvips places upsampled pixels about half an output pixel
      // away from the half-pixel-centre convention used here (and by PIL, OpenCV, TF).
      for (const [sh, sw, dh, dw, tol] of [[90, 120, 32, 32, 0.5], [64, 48, 20, 20, 0.5], [20, 15, 40, 50, 3.5]] as const) {
        const src = gradient(sh, sw);
        const ours = resizeRgb(src, [sh, sw], [dh, dw], mode);
        const theirs = await sharpResize(src, sh, sw, dh, dw, fit);
        expect(meanAbsDiff(ours, theirs)).toBeLessThan(tol);
      }
    });
  }
});
