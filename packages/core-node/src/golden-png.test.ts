// The decode-path golden: gradient-32.png through sharp (as the Node path decodes) and
// applyPreprocess must give the numpy-computed statistics in gradient-32.json.
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { applyPreprocess, PreprocessSpecSchema } from '@headstart/core';

interface PngGolden {
  file: string;
  height: number;
  width: number;
  cases: Array<{ mode: string; spec: unknown; shape: number[]; mean: number[]; std: number[] }>;
}
// The golden files live with the contract they pin, in core's fixtures.
const dir = new URL('../../core/test/fixtures/', import.meta.url);
const golden = JSON.parse(readFileSync(new URL('gradient-32.json', dir), 'utf8')) as PngGolden;
const png = readFileSync(new URL(golden.file, dir));

describe('gradient-32.png golden', () => {
  it('decodes (and resizes to its own size) to exactly the documented pixels', async () => {
    const { data, info } = await sharp(png).resize(golden.width, golden.height, { fit: 'cover' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.height, info.width, info.channels]).toEqual([32, 32, 3]);
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) {
        const i = (y * 32 + x) * 3;
        expect([data[i], data[i + 1], data[i + 2]]).toEqual([x * 8, y * 8, (4 * (x + y) + 128 * ((Math.floor(x / 8) + Math.floor(y / 8)) % 2)) % 256]);
      }
  });

  it('matches the per-mode statistics to 6 decimals', async () => {
    const data = new Uint8Array(await sharp(png).removeAlpha().raw().toBuffer());
    expect(golden.cases).toHaveLength(4);
    for (const c of golden.cases) {
      const out = applyPreprocess(data, 1, PreprocessSpecSchema.parse(c.spec));
      expect(out.length).toBe(c.shape.reduce((a, b) => a * b, 1));
      const n = out.length / 3;
      for (let ch = 0; ch < 3; ch++) {
        let m = 0;
        for (let i = ch; i < out.length; i += 3) m += out[i]!;
        m /= n;
        let v = 0;
        for (let i = ch; i < out.length; i += 3) v += (out[i]! - m) ** 2;
        expect(m, `${c.mode} mean[${ch}]`).toBeCloseTo(c.mean[ch]!, 6);
        expect(Math.sqrt(v / n), `${c.mode} std[${ch}]`).toBeCloseTo(c.std[ch]!, 6);
      }
    }
  });
});
