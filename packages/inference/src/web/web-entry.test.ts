import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ortNode from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { applyPreprocess, HeadstartError, PreprocessSpecSchema, resizeRgb } from '@headstart/core';
import { buildTinyClassifierOnnx } from '../../testing/tiny-onnx.ts';
import { createClassifier, rgbaToRgb } from './index.ts';

const golden = JSON.parse(readFileSync(fileURLToPath(new URL('../../../core/test/fixtures/preprocess-golden.json', import.meta.url)), 'utf8')) as {
  image: { count: number; height: number; width: number; pixels: number[] };
  cases: { spec: unknown; mean: number[]; std: number[]; first: number[] }[];
};

function toRgba(rgb: ArrayLike<number>, alpha: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray((rgb.length / 3) * 4);
  for (let i = 0; i < rgb.length / 3; i++) out.set([rgb[i * 3] as number, rgb[i * 3 + 1] as number, rgb[i * 3 + 2] as number, alpha], i * 4);
  return out;
}

describe('web preprocessing path (canvas RGBA → RGB → resize → spec)', () => {
  const { count, height, width, pixels } = golden.image;
  const per = height * width;

  it('reproduces the core golden tensor statistics from RGBA canvas pixels', () => {
    for (const c of golden.cases) {
      const spec = PreprocessSpecSchema.parse(c.spec);
      const batch = new Uint8Array(count * per * 3);
      for (let n = 0; n < count; n++) {
        const rgba = toRgba(pixels.slice(n * per * 3, (n + 1) * per * 3), 128);
        // Same size: the resize must be an exact copy.
        batch.set(resizeRgb(rgbaToRgb(rgba, per), [height, width], spec.size, spec.resize), n * per * 3);
      }
      const t = applyPreprocess(batch, count, spec);
      for (let ch = 0; ch < 3; ch++) {
        let sum = 0;
        for (let i = ch; i < t.length; i += 3) sum += t[i] as number;
        expect(sum / (t.length / 3)).toBeCloseTo(c.mean[ch] as number, 5);
        expect(t[ch]).toBeCloseTo(c.first[ch] as number, 5);
      }
    }
  });

  it('drops alpha and makes grey from colour only when asked', () => {
    const rgba = Uint8ClampedArray.from([10, 20, 30, 0, 7, 7, 7, 255, 255, 0, 0, 255]);
    expect([...rgbaToRgb(rgba, 3)]).toEqual([10, 20, 30, 7, 7, 7, 255, 0, 0]);
    expect([...rgbaToRgb(rgba, 3, true)]).toEqual([19, 19, 19, 7, 7, 7, 54, 54, 54]);
    expect(() => rgbaToRgb(rgba, 4)).toThrow(RangeError);
  });
});

describe('createClassifier (web entry, onnxruntime-web wasm run in Node)', () => {
  const labels = ['red', 'green', 'blue'];
  const bytes = buildTinyClassifierOnnx({ labels, size: [4, 6] });

  it('reads labels and spec from the metadata and agrees with onnxruntime-node within 1e-6', async () => {
    const clf = await createClassifier(bytes, { provider: 'wasm', threads: 1 });
    try {
      expect(clf.provider).toBe('wasm');
      expect(clf.labels).toEqual(labels);
      expect(clf.inputSize).toEqual([4, 6]);
      const px = Uint8Array.from({ length: 2 * 4 * 6 * 3 }, (_, i) => (i * 53) % 256);
      const got = await clf.runPixels(px, 2);
      const ref = await ortNode.InferenceSession.create(bytes);
      const want = (await ref.run({ [ref.inputNames[0] as string]: new ortNode.Tensor('float32', Float32Array.from(px), [2, 4, 6, 3]) }))[ref.outputNames[0] as string]?.data as Float32Array;
      await ref.release();
      expect(got.length).toBe(6);
      for (let i = 0; i < 6; i++) expect(Math.abs((got[i] as number) - (want[i] as number))).toBeLessThan(1e-6);
      // Concurrent runs are queued, not rejected by onnxruntime-web.
      const both = await Promise.all([clf.runPixels(px, 2), clf.runPixels(px.slice(0, 72), 1)]);
      expect([...(both[1] as Float32Array)].map((v) => v.toFixed(6))).toEqual([...got.slice(0, 3)].map((v) => v.toFixed(6)));
      await expect(clf.runPixels(px, 1)).rejects.toBeInstanceOf(HeadstartError);
    } finally {
      await clf.dispose();
    }
  });

  it('refuses WebGPU where there is no adapter, and files without Headstart metadata', async () => {
    await expect(createClassifier(bytes, { provider: 'webgpu' })).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await expect(createClassifier(buildTinyClassifierOnnx({ labels, size: [2, 2], omitMetadata: true }), { provider: 'wasm' })).rejects.toMatchObject({
      code: 'MODEL_INVALID',
    });
    await expect(createClassifier(Uint8Array.from([0x0a, 0xff]))).rejects.toMatchObject({ code: 'MODEL_INVALID' });
  });
});
