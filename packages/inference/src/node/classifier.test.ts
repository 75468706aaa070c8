import sharp from 'sharp';
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { isHeadstartError } from '@headstart/core';
import { createClassifier, planProviders, readOnnxMetadata, topPredictions, type Classifier } from './index.ts';
import { buildTinyClassifierOnnx } from '../../testing/index.ts';

const LABELS = ['red', 'green', 'blue'];

function solid(r: number, g: number, b: number, w = 40, h = 30): Promise<Buffer> {
  return sharp({ create: { width: w, height: h, channels: 3, background: { r, g, b } } }).png().toBuffer();
}

describe('createClassifier (node)', () => {
  let clf: Classifier;
  const logs: string[] = [];
  beforeAll(async () => {
    clf = await createClassifier(buildTinyClassifierOnnx({ labels: LABELS, size: [8, 8] }), { logger: (m) => logs.push(m), threads: 1 });
  });
  afterAll(async () => clf.dispose());

  it('reads labels, preprocess spec and input size from metadata and logs the provider', () => {
    expect(clf.labels).toEqual(LABELS);
    expect(clf.inputSize).toEqual([8, 8]);
    expect(clf.preprocess.mode).toBe('none');
    expect(clf.provider).toBe('cpu');
    expect(clf.metadata['headstart.version']).toBe('1');
    expect(logs.some((l) => l.includes('execution provider cpu'))).toBe(true);
  });

  it('runPixels returns count×C probabilities that sum to 1', async () => {
    const px = new Uint8Array(2 * 8 * 8 * 3);
    for (let i = 0; i < 64; i++) {
      px[i * 3] = 255;
      px[192 + i * 3 + 2] = 255;
    }
    const probs = await clf.runPixels(px, 2);
    expect(probs.length).toBe(6);
    expect(probs[0]! + probs[1]! + probs[2]!).toBeCloseTo(1, 5);
    expect(topPredictions(probs, LABELS, 1, 0)[0]!.label).toBe('red');
    expect(topPredictions(probs, LABELS, 1, 1)[0]!.label).toBe('blue');
  });

  it('rejects a pixel buffer of the wrong size', async () => {
    await expect(clf.runPixels(new Float32Array(10), 1)).rejects.toSatisfy((e) => isHeadstartError(e, 'SPEC_MISMATCH'));
  });

  it('classifies encoded images with top-k labels and timings', async () => {
    const res = await clf.classify(await solid(10, 240, 20), { topK: 2 });
    expect(res.predictions).toHaveLength(2);
    expect(res.predictions[0]!.label).toBe('green');
    expect(res.predictions[0]!.probability).toBeGreaterThan(res.predictions[1]!.probability);
    expect(res.timings.decodeMs).toBeGreaterThanOrEqual(0);
  });

  it('refuses undecodable bytes and pixel bombs with typed errors', async () => {
    await expect(clf.classify(Buffer.from('not an image at all'))).rejects.toSatisfy((e) => isHeadstartError(e, 'IMAGE_UNDECODABLE'));
    const small = await createClassifier(buildTinyClassifierOnnx({ labels: LABELS, size: [8, 8] }), { maxPixels: 100 });
    await expect(small.classify(await solid(0, 0, 255, 20, 20))).rejects.toSatisfy((e) => isHeadstartError(e, 'IMAGE_TOO_LARGE'));
    await small.dispose();
  });

  it('honours EXIF orientation when decoding', async () => {
    // 2×1 image: left red, right blue; orientation 6 (rotate 90° cw) makes it 1×2: top red, bottom blue.
    const raw = Buffer.from([255, 0, 0, 0, 0, 255]);
    const jpeg = await sharp(raw, { raw: { width: 2, height: 1, channels: 3 } }).resize(64, 32, { kernel: 'nearest' }).withMetadata({ orientation: 6 }).jpeg({ quality: 100 }).toBuffer();
    const tall = await createClassifier(buildTinyClassifierOnnx({ labels: LABELS, size: [2, 1] }));
    const rgb = await tall.decode(jpeg);
    expect(rgb[0]).toBeGreaterThan(200); // top pixel red
    expect(rgb[5]).toBeGreaterThan(200); // bottom pixel blue
    await tall.dispose();
  });

  it('fails with MODEL_INVALID on a model without Headstart metadata or on garbage bytes', async () => {
    await expect(createClassifier(buildTinyClassifierOnnx({ labels: LABELS, size: [8, 8], omitMetadata: true }))).rejects.toSatisfy((e) => isHeadstartError(e, 'MODEL_INVALID'));
    await expect(createClassifier(new Uint8Array([0xff, 0xff, 0xff]))).rejects.toSatisfy((e) => isHeadstartError(e, 'MODEL_INVALID'));
    await expect(createClassifier('/nonexistent/model.onnx')).rejects.toSatisfy((e) => isHeadstartError(e, 'MODEL_NOT_FOUND'));
  });
});

describe('provider planning', () => {
  it('uses CUDA only when compiled in, its library installed and a GPU visible', () => {
    const all = { compiledIn: true, providerLibrary: '/x/libonnxruntime_providers_cuda.so', gpuVisible: true };
    expect(planProviders('auto', all).providers).toEqual(['cuda', 'cpu']);
    expect(planProviders('cpu', all).providers).toEqual(['cpu']);
    const noLib = planProviders('cuda', { ...all, providerLibrary: undefined });
    expect(noLib.providers).toEqual(['cpu']);
    expect(noLib.reason).toMatch(/provider library/);
    expect(planProviders('auto', { ...all, gpuVisible: false }).reason).toMatch(/no NVIDIA GPU/);
  });
});

describe('metadata reader', () => {
  it('round-trips metadata_props written by the test model builder', () => {
    const meta = readOnnxMetadata(buildTinyClassifierOnnx({ labels: ['a', 'b'], size: [4, 4], metadata: { extra: 'é✓' } }));
    expect(JSON.parse(meta['headstart.labels']!)).toEqual(['a', 'b']);
    expect(meta.extra).toBe('é✓');
  });
});

describe('grayscale specs', () => {
  it('feed Rec. 709 luma on all three channels', async () => {
    const grey = await createClassifier(buildTinyClassifierOnnx({ labels: LABELS, size: [4, 4], preprocess: { grayscale: true } }));
    const rgb = await grey.decode(await solid(200, 100, 50, 4, 4));
    const l = Math.round(0.2126 * 200 + 0.7152 * 100 + 0.0722 * 50);
    expect(Math.abs(rgb[0]! - l)).toBeLessThanOrEqual(1);
    expect(rgb[0]).toBe(rgb[1]);
    expect(rgb[1]).toBe(rgb[2]);
    await grey.dispose();
  });
});

describe('worker-thread sessions', () => {
  it('give the same probabilities as in-process sessions', async () => {
    const bytes = buildTinyClassifierOnnx({ labels: LABELS, size: [8, 8] });
    const logs: string[] = [];
    const inWorker = await createClassifier(bytes, { worker: true, threads: 1, logger: (m) => logs.push(m) });
    const local = await createClassifier(bytes, { threads: 1 });
    expect(logs.some((l) => l.includes('in a worker thread'))).toBe(true);
    const px = Uint8Array.from({ length: 3 * 8 * 8 * 3 }, (_, i) => (i * 37) % 256);
    const a = await inWorker.runPixels(px, 3);
    const b = await local.runPixels(px, 3);
    expect(Array.from(a)).toEqual(Array.from(b));
    const res = await inWorker.classify(await solid(5, 5, 250));
    expect(res.predictions[0]!.label).toBe('blue');
    await expect(inWorker.runPixels(new Float32Array(5), 1)).rejects.toSatisfy((e) => isHeadstartError(e, 'SPEC_MISMATCH'));
    await Promise.all([inWorker.dispose(), local.dispose()]);
  });

  it('report load failures as MODEL_INVALID', async () => {
    const broken = buildTinyClassifierOnnx({ labels: LABELS, size: [8, 8] }).slice(0, 200);
    await expect(createClassifier(broken, { worker: true })).rejects.toSatisfy((e) => isHeadstartError(e));
  });
});
