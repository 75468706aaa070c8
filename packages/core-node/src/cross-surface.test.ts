// Golden cross-surface fixture (Node side): decodeImage's model-input pixels are exactly
// resizeRgb over the raw decode, and match the checksums the web e2e asserts in Chromium.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeImage, greyToRgb } from './decode.ts';
import { parseIdx, toModelPixels, resizeRgb, type ResizeMode } from '@headstart/core';

interface CrossSurface {
  files: Record<string, { width: number; height: number; sha256: string }>;
  cases: Array<{ file: string; size: [number, number]; resize: ResizeMode; grayscale: boolean; sha256: string; sum: number }>;
}
// The golden files live with the contract they pin, in core's fixtures.
const dir = new URL('../../core/test/fixtures/', import.meta.url);
const golden = JSON.parse(readFileSync(new URL('cross-surface.json', dir), 'utf8')) as CrossSurface;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const file = (name: string): Buffer => readFileSync(new URL(name, dir));

describe('cross-surface golden pixels (decode → drop alpha → luma → resizeRgb)', () => {
  it('decodes each fixture at native size to the independently known RGB', async () => {
    const grad = await decodeImage(file('gradient-32.png'));
    expect(grad.data[(5 * 32 + 7) * 3]).toBe(7 * 8);
    const boot = parseIdx(gunzipSync(readFileSync('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz'))).data.subarray(0, 784);
    const fm = await decodeImage(file('fmnist-28.png'));
    expect(fm.info.channels).toBe(1);
    for (let i = 0; i < 784; i++) expect([fm.data[i * 3], fm.data[i * 3 + 1], fm.data[i * 3 + 2]]).toEqual([boot[i], boot[i], boot[i]]);
    // Semi-transparent pixels keep their stored RGB (alpha dropped, as PIL convert('RGB')), even at alpha 0.
    const rgba = await decodeImage(file('rgba-23x17.png'));
    expect(rgba.info.hasAlpha).toBe(true);
    for (let y = 0; y < 17; y++)
      for (let x = 0; x < 23; x++) {
        const i = (y * 23 + x) * 3;
        expect([rgba.data[i], rgba.data[i + 1], rgba.data[i + 2]]).toEqual([(x * 11 + y * 3) % 256, (y * 15 + 40) % 256, (x * y * 7 + 90) % 256]);
      }
    for (const [name, f] of Object.entries(golden.files)) {
      const d = await decodeImage(file(name));
      expect([d.width, d.height, sha(d.data)], name).toEqual([f.width, f.height, f.sha256]);
    }
  });

  for (const c of golden.cases) {
    it(`${c.file} → ${c.size.join('x')} ${c.resize}${c.grayscale ? ' grayscale' : ''}: bit-identical, checksum as recorded`, async () => {
      const bytes = file(c.file);
      const raw = await decodeImage(bytes);
      const px = toModelPixels(raw.data, [raw.height, raw.width], c);
      expect(px.length).toBe(c.size[0] * c.size[1] * 3);
      expect(sha(px)).toBe(c.sha256);
      expect(px.reduce((a, b) => a + b, 0)).toBe(c.sum);
      if (!c.grayscale) {
        const viaDecode = await decodeImage(bytes, { size: c.size, resize: c.resize });
        expect([viaDecode.height, viaDecode.width]).toEqual(c.size);
        expect(Buffer.from(viaDecode.data).equals(Buffer.from(resizeRgb(raw.data, [raw.height, raw.width], c.size, c.resize)))).toBe(true);
        expect(sha(viaDecode.data)).toBe(c.sha256);
      }
    });
  }

  it('the IDX path (greyToRgb) gives the same pixels as decoding the same image from a PNG file', async () => {
    const boot = parseIdx(gunzipSync(readFileSync('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz'))).data.subarray(0, 784);
    for (const c of golden.cases.filter((k) => k.file === 'fmnist-28.png')) {
      const fromIdx = await greyToRgb(boot, 28, 28, { size: c.size, resize: c.resize });
      expect(sha(fromIdx.data)).toBe(c.sha256);
    }
  });
});
