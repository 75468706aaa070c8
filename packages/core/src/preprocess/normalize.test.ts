import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PreprocessSpecSchema, type PreprocessMode } from '../specs/preprocess.ts';
import { applyPreprocess, preprocessAffine } from './normalize.ts';
import { preprocessSpecFor } from '../specs/preprocess.ts';

interface GoldenCase {
  mode: PreprocessMode;
  spec: unknown;
  shape: number[];
  channelOrder: 'rgb' | 'bgr';
  mean: number[];
  std: number[];
  first: number[];
  last: number[];
}
interface Golden {
  image: { count: number; height: number; width: number; pixels: number[] };
  cases: GoldenCase[];
}

const golden = JSON.parse(
  readFileSync(new URL('../../test/fixtures/preprocess-golden.json', import.meta.url), 'utf8'),
) as Golden;

function channelStats(x: Float32Array): { mean: number[]; std: number[] } {
  const n = x.length / 3;
  const mean = [0, 0, 0];
  const sq = [0, 0, 0];
  for (let i = 0; i < x.length; i++) mean[i % 3]! += x[i]! / n;
  for (let i = 0; i < x.length; i++) sq[i % 3]! += (x[i]! - mean[i % 3]!) ** 2 / n;
  return { mean, std: sq.map(Math.sqrt) };
}

describe('applyPreprocess golden values', () => {
  const { count, height, width, pixels } = golden.image;
  const rgb = Uint8Array.from(pixels);

  it('fixture pixels follow the documented formula', () => {
    let i = 0;
    for (let n = 0; n < count; n++)
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++) {
          expect([rgb[i], rgb[i + 1], rgb[i + 2]]).toEqual([(x * 51 + n * 20) % 256, 255 - y * 51, (x * y * 13 + 7 * n) % 256]);
          i += 3;
        }
  });

  it('covers all four modes', () => {
    expect(golden.cases.map((c) => c.mode).sort()).toEqual(['caffe', 'none', 'tf', 'torch']);
  });
  for (const c of golden.cases) {
    it(`mode ${c.mode}: shape, per-channel mean/std to 6 decimals, first/last pixel`, () => {
      const spec = PreprocessSpecSchema.parse(c.spec);
      const out = applyPreprocess(rgb, count, spec);
      expect(out).toBeInstanceOf(Float32Array);
      expect(out.length).toBe(c.shape.reduce((a, b) => a * b, 1));
      expect(preprocessAffine(spec).channelOrder).toBe(c.channelOrder);
      const s = channelStats(out);
      for (let ch = 0; ch < 3; ch++) {
        expect(s.mean[ch]).toBeCloseTo(c.mean[ch]!, 6);
        expect(s.std[ch]).toBeCloseTo(c.std[ch]!, 6);
        expect(out[ch]).toBeCloseTo(c.first[ch]!, 6);
        expect(out[out.length - 3 + ch]).toBeCloseTo(c.last[ch]!, 6);
      }
    });
  }
});

describe('applyPreprocess hand-derived values', () => {
  const px = Uint8Array.from([0, 128, 255]);
  const spec = (mode: PreprocessMode, extra: object = {}) => PreprocessSpecSchema.parse({ size: [1, 1], mode, ...extra });

  it('tf maps 0..255 to [-1, 1]', () => {
    expect(Array.from(applyPreprocess(px, 1, spec('tf')))).toEqual([-1, Math.fround(128 / 127.5 - 1), 1]);
  });
  it('torch uses ImageNet mean/std in RGB order', () => {
    const out = applyPreprocess(px, 1, spec('torch'));
    expect(out[0]).toBeCloseTo(-0.485 / 0.229, 6);
    expect(out[1]).toBeCloseTo((128 / 255 - 0.456) / 0.224, 6);
    expect(out[2]).toBeCloseTo((1 - 0.406) / 0.225, 6);
  });
  it('caffe reorders to BGR and subtracts the BGR mean', () => {
    const out = applyPreprocess(px, 1, spec('caffe'));
    expect(out[0]).toBeCloseTo(255 - 103.939, 4);
    expect(out[1]).toBeCloseTo(128 - 116.779, 4);
    expect(out[2]).toBeCloseTo(0 - 123.68, 4);
  });
  it('none passes values through; explicit bgr order and custom mean/std apply', () => {
    expect(Array.from(applyPreprocess(px, 1, spec('none')))).toEqual([0, 128, 255]);
    expect(Array.from(applyPreprocess(px, 1, spec('none', { channelOrder: 'bgr', mean: [5, 0, 0], std: [5, 1, 1] })))).toEqual([50, 128, 0]);
  });
  it('rejects a pixel buffer of the wrong size and a non-positive std', () => {
    expect(() => applyPreprocess(px, 2, spec('tf'))).toThrow(/expected 2 image\(s\) of 1x1x3 = 6 bytes, got 3/);
    expect(() => applyPreprocess(px, 1, spec('none', { std: [1, 0, 1] }))).toThrow(RangeError);
  });
});

describe('preprocessSpecFor', () => {
  it('writes the effective channel order and defaults', () => {
    expect(preprocessSpecFor('caffe', [224, 224])).toEqual({ size: [224, 224], mode: 'caffe', resize: 'cover', channelOrder: 'bgr', grayscale: false });
    expect(preprocessSpecFor('tf', [96, 128], 'contain')).toMatchObject({ channelOrder: 'rgb', resize: 'contain', size: [96, 128] });
  });
});
