import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRng } from '../random/rng.ts';
import { AugmentSpecSchema } from '../specs/schedule.ts';
import { affineMatrix, warpAffine, type AffineParams, type FillMode } from './affine.ts';
import { applyAugmentParams, augment, sampleAugmentParams } from './augment.ts';
import { sampleResizedCrop } from './crop.ts';

const NO_AFFINE: AffineParams = { theta: 0, shiftX: 0, shiftY: 0, shear: 0, zoomX: 1, zoomY: 1 };

function pattern(h: number, w: number): Uint8Array {
  return Uint8Array.from({ length: h * w * 3 }, (_, i) => (i * 41 + 7) % 251);
}
function px(img: Uint8Array, w: number, y: number, x: number): number[] {
  return Array.from(img.subarray((y * w + x) * 3, (y * w + x) * 3 + 3));
}

describe('augment', () => {
  const H = 9;
  const W = 12;
  const img = pattern(H, W);
  const everything = AugmentSpecSchema.parse({
    horizontalFlip: true,
    verticalFlip: true,
    rotation: 25,
    zoom: 0.2,
    shear: 10,
    widthShift: 0.1,
    heightShift: 0.1,
    brightness: [0.7, 1.3],
    randomResizedCrop: { scale: [0.5, 1], ratio: [0.75, 1.33] },
  });

  it('is deterministic under a seed and varies across seeds; output has the input shape', () => {
    const a = augment(img, H, W, everything, createRng(3));
    const b = augment(img, H, W, everything, createRng(3));
    const c = augment(img, H, W, everything, createRng(4));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.length).toBe(H * W * 3);
    expect(a).toBeInstanceOf(Uint8Array);
  });

  it('is an exact copy (not the same buffer) when everything is off', () => {
    const out = augment(img, H, W, AugmentSpecSchema.parse({}), createRng(1));
    expect(out).toEqual(img);
    expect(out).not.toBe(img);
  });

  it('never mutates its input, even a Node Buffer', () => {
    const buf = Buffer.from(img);
    const out = applyAugmentParams(buf, H, W, { affine: NO_AFFINE, flipHorizontal: true, flipVertical: true, brightness: 1.2 });
    expect(new Uint8Array(buf)).toEqual(img);
    expect(out).not.toEqual(img);
  });

  it('flips exactly', () => {
    const base = { affine: NO_AFFINE, flipHorizontal: false, flipVertical: false, brightness: 1 };
    const h = applyAugmentParams(img, H, W, { ...base, flipHorizontal: true });
    const v = applyAugmentParams(img, H, W, { ...base, flipVertical: true });
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        expect(px(h, W, y, x)).toEqual(px(img, W, y, W - 1 - x));
        expect(px(v, W, y, x)).toEqual(px(img, W, H - 1 - y, x));
      }
    // With the flag on, a seeded draw either mirrors or keeps the image, and both happen.
    const seen = new Set<string>();
    for (let s = 0; s < 20; s++) {
      const out = augment(img, H, W, AugmentSpecSchema.parse({ horizontalFlip: true }), createRng(s));
      const kind = out.every((v2, i) => v2 === img[i]) ? 'same' : out.every((v2, i) => v2 === h[i]) ? 'mirror' : 'other';
      seen.add(kind);
    }
    expect([...seen].sort()).toEqual(['mirror', 'same']);
  });

  it('a 90° rotation of a square image is an exact transpose + flip', () => {
    const n = 7;
    const sq = pattern(n, n);
    const out = applyAugmentParams(sq, n, n, { affine: { ...NO_AFFINE, theta: 90 }, flipHorizontal: false, flipVertical: false, brightness: 1 });
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) expect(px(out, n, y, x)).toEqual(px(sq, n, x, n - 1 - y));
  });

  it('brightness scales within its range and clamps at 255', () => {
    const grey = new Uint8Array(4 * 4 * 3).fill(100);
    const spec = AugmentSpecSchema.parse({ brightness: [0.5, 1.5] });
    const seen: number[] = [];
    for (let s = 0; s < 50; s++) {
      const out = augment(grey, 4, 4, spec, createRng(s));
      expect(new Set(out).size).toBe(1);
      seen.push(out[0]!);
    }
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...seen)).toBeLessThanOrEqual(150);
    expect(Math.max(...seen) - Math.min(...seen)).toBeGreaterThan(50);
    const bright = applyAugmentParams(new Uint8Array(3).fill(200), 1, 1, { affine: NO_AFFINE, flipHorizontal: false, flipVertical: false, brightness: 1.5 });
    expect(Array.from(bright)).toEqual([255, 255, 255]);
  });

  it('sampled parameters stay inside the spec ranges', () => {
    const rng = createRng(11);
    for (let i = 0; i < 200; i++) {
      const p = sampleAugmentParams(everything, H, W, rng);
      expect(Math.abs(p.affine.theta)).toBeLessThanOrEqual(25);
      expect(Math.abs(p.affine.shiftX)).toBeLessThanOrEqual(0.1 * W);
      expect(Math.abs(p.affine.shiftY)).toBeLessThanOrEqual(0.1 * H);
      expect(p.affine.zoomX).toBeGreaterThanOrEqual(0.8);
      expect(p.affine.zoomY).toBeLessThanOrEqual(1.2);
      expect(p.brightness).toBeGreaterThanOrEqual(0.7);
      expect(p.brightness).toBeLessThanOrEqual(1.3);
      const c = p.crop!;
      expect(c.top + c.height).toBeLessThanOrEqual(H);
      expect(c.left + c.width).toBeLessThanOrEqual(W);
    }
  });

  it('widthShift moves only horizontally, heightShift only vertically', () => {
    const rng = createRng(2);
    const w = sampleAugmentParams(AugmentSpecSchema.parse({ widthShift: 0.2 }), H, W, rng).affine;
    const h = sampleAugmentParams(AugmentSpecSchema.parse({ heightShift: 0.2 }), H, W, rng).affine;
    expect(w.shiftY).toBe(0);
    expect(w.shiftX).not.toBe(0);
    expect(h.shiftX).toBe(0);
    expect(h.shiftY).not.toBe(0);
  });

  it('rejects a buffer of the wrong size', () => {
    expect(() => augment(img, H, W + 1, everything, createRng(1))).toThrow(RangeError);
  });
});

describe('fill modes', () => {
  // Shift the sampling grid 2 px right: output column x reads input column x + 2.
  const row = Uint8Array.from([10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40, 50, 50, 50]);
  const shift = (mode: FillMode) => Array.from(warpAffine(row, 1, 5, affineMatrix({ ...NO_AFFINE, shiftX: 2 }, 1, 5), mode, 7)).filter((_, i) => i % 3 === 0);
  it('nearest extends the edge, constant fills, reflect mirrors', () => {
    expect(shift('nearest')).toEqual([30, 40, 50, 50, 50]);
    expect(shift('constant')).toEqual([30, 40, 50, 7, 7]);
    expect(shift('reflect')).toEqual([30, 40, 50, 50, 40]);
  });
});

describe('random-resized-crop', () => {
  it('keeps the whole image when scale and ratio force it', () => {
    const img = pattern(6, 8);
    expect(sampleResizedCrop(6, 8, [1, 1], [8 / 6, 8 / 6], createRng(1))).toEqual({ top: 0, left: 0, height: 6, width: 8 });
    const spec = AugmentSpecSchema.parse({ randomResizedCrop: { scale: [1, 1], ratio: [8 / 6, 8 / 6] } });
    expect(augment(img, 6, 8, spec, createRng(2))).toEqual(img);
  });
  it('crops within the area and ratio ranges', () => {
    const rng = createRng(5);
    for (let i = 0; i < 100; i++) {
      const c = sampleResizedCrop(100, 120, [0.3, 0.6], [0.75, 1.33], rng);
      const area = (c.width * c.height) / (100 * 120);
      expect(area).toBeGreaterThan(0.27);
      expect(area).toBeLessThan(0.64);
      expect(c.width / c.height).toBeGreaterThan(0.7);
      expect(c.width / c.height).toBeLessThan(1.4);
    }
  });
});

interface AffineGolden {
  image: { height: number; width: number; pixels: number[] };
  cases: Array<{ params: AffineParams; fillMode: FillMode; fillValue: number; expected: number[] }>;
}
const golden = JSON.parse(readFileSync(new URL('../../test/fixtures/affine-golden.json', import.meta.url), 'utf8')) as AffineGolden;

describe('warpAffine matches scipy.ndimage.affine_transform (Keras apply_affine_transform)', () => {
  const { height, width, pixels } = golden.image;
  for (const c of golden.cases) {
    it(`${c.fillMode}, theta ${c.params.theta}`, () => {
      const out = warpAffine(Uint8Array.from(pixels), height, width, affineMatrix(c.params, height, width), c.fillMode, c.fillValue);
      let worst = 0;
      out.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - c.expected[i]!))));
      expect(worst).toBeLessThanOrEqual(0.5 + 1e-3);
    });
  }
});
