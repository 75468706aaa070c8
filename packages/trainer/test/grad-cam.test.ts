import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { classChannel, createRng, heatPeak, HeadSpecSchema, PreprocessSpecSchema, weightedChannelSum } from '@headstart/core';
import { exportLayersModel } from '@headstart/exporter';
import { createSession } from '@headstart/inference/node';
import { buildClassifier, saveLayersModel, selectBackend } from '../src/index.ts';
import { tempDir } from './fixtures.ts';
import { GradCam } from '../src/explain/grad-cam.ts';
import { tfc, tfl, type LayersModel, type SymbolicTensor } from '../src/tf.ts';

const SIZE = 16;
const spec = PreprocessSpecSchema.parse({ size: [SIZE, SIZE], mode: 'none' });

/**
 * A base whose one 1×1 conv channel is "brightness" (mean of R, G, B / 255, ReLU) and whose second
 * is "darkness" (1 − brightness); class 1 ("patch") is scored by brightness, class 0 ("plain")
 * by darkness. The answer is known: class 1's heat must sit on the bright patch.
 */
function patchDetector(head: unknown): LayersModel {
  const input = tfl.input({ shape: [SIZE, SIZE, 3], name: 'px' });
  const conv = tfl.layers.conv2d({ filters: 2, kernelSize: 1, activation: 'relu', name: 'feat' });
  const base = tfl.model({ inputs: input, outputs: conv.apply(input) as SymbolicTensor });
  const k = 1 / (3 * 255);
  conv.setWeights([tfc.tensor4d([k, -k, k, -k, k, -k], [1, 1, 3, 2]), tfc.tensor1d([0, 1])]);
  const model = buildClassifier(base, HeadSpecSchema.parse(head), 2, createRng(1));
  // Give every head dense layer weights that pass brightness to class 1 and darkness to class 0.
  for (const l of model.layers.filter((x) => x.name.startsWith('head_dense_') || x.name === 'head_logits')) {
    const [kernel, bias] = l.getWeights();
    const [inDim, units] = kernel!.shape as [number, number];
    const w = new Float32Array(inDim * units);
    // Even inputs carry brightness (channel 0, or a block unit fed by it): to even block units, and to class 1.
    const keeps = (i: number, u: number): boolean => (l.name === 'head_logits' ? i % 2 === 0 === (u === 1) : i % 2 === u % 2);
    for (let i = 0; i < inDim; i++) for (let u = 0; u < units; u++) w[i * units + u] = keeps(i, u) ? 1 : -1;
    l.setWeights([tfc.tensor2d(w, [inDim, units]), tfc.zerosLike(bias!)]);
  }
  return model;
}

/** A dark noisy image with a bright 4×4 patch whose top-left corner is (row, col). */
function imageWithPatch(row: number, col: number): Uint8Array {
  const rgb = new Uint8Array(SIZE * SIZE * 3);
  let s = 7;
  for (let i = 0; i < rgb.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    rgb[i] = 20 + (s >>> 27);
  }
  for (let y = row; y < row + 4; y++) for (let x = col; x < col + 4; x++) rgb.fill(250, (y * SIZE + x) * 3, (y * SIZE + x) * 3 + 3);
  return rgb;
}

const onPatch = (peak: { row: number; col: number }, row: number, col: number): boolean => peak.row >= row && peak.row < row + 4 && peak.col >= col && peak.col < col + 4;

describe('Grad-CAM (synthetic patch detector, answer known)', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  for (const head of [
    { kind: 'dense', pooling: 'avg', dropout: 0.2 },
    { kind: 'dense', pooling: 'max', dropout: 0 },
    { kind: 'dense', pooling: 'flatten', dropout: 0 },
    { kind: 'dense', pooling: 'avg', dropout: 0, blocks: [{ units: 4, activation: 'relu' }] },
  ]) {
    it(`the heat of the patch class peaks on the patch (${head.pooling}${head.blocks ? ', dense block' : ''})`, () => {
      const cam = GradCam.forModel(patchDetector(head));
      expect(cam.featureLayer).toBe('feat');
      for (const [row, col] of [
        [2, 3],
        [10, 9],
      ] as const) {
        const r = cam.explain(imageWithPatch(row, col), spec, { classIndex: 1 });
        expect(r.heat.height).toBe(SIZE);
        expect(onPatch(heatPeak(r.heat), row, col)).toBe(true);
        // Away from the patch the heat is (near) zero: brightness there is tiny next to the patch.
        expect(r.heat.data[0]! + r.heat.data[SIZE * SIZE - 1]!).toBeLessThan(0.2 * heatPeak(r.heat).value);
      }
    });
  }

  it('for a GAP + dense head it equals the closed form α_k = w_kc / (h·w)', () => {
    const model = patchDetector({ kind: 'dense', pooling: 'avg', dropout: 0 });
    const r = GradCam.forModel(model).explain(imageWithPatch(5, 5), spec, { classIndex: 1 });
    const kernel = model.getLayer('head_logits').getWeights()[0]!.dataSync();
    const a = tfc.tidy(() => tfl.model({ inputs: model.inputs, outputs: model.getLayer('feat').output as SymbolicTensor }).predict(tfc.tensor(imageWithPatch(5, 5), [1, SIZE, SIZE, 3], 'float32')) as tfc.Tensor).dataSync() as Float32Array;
    const closed = weightedChannelSum(a, SIZE, SIZE, [kernel[0 * 2 + 1]! / (SIZE * SIZE), kernel[1 * 2 + 1]! / (SIZE * SIZE)]);
    expect(heatPeak(closed).value).toBeGreaterThan(0);
    for (let i = 0; i < closed.data.length; i++) expect(r.heat.data[i]).toBeCloseTo(closed.data[i]!, 6);
    // The top class of a patch image is "patch"; its probabilities sum to 1.
    expect(r.classIndex).toBe(1);
    expect(r.probabilities[0]! + r.probabilities[1]!).toBeCloseTo(1, 6);
  });

  it('refuses a model without a Headstart head, naming what it needs', () => {
    const input = tfl.input({ shape: [SIZE, SIZE, 3] });
    const out = tfl.layers.dense({ units: 2, activation: 'softmax' }).apply(tfl.layers.flatten().apply(input) as SymbolicTensor) as SymbolicTensor;
    expect(() => GradCam.forModel(tfl.model({ inputs: input, outputs: out }))).toThrow(/head_logits/);
  });

  it('the exported ONNX `cam` output equals Grad-CAM from TF.js for heads without dense blocks, and is absent (with the reason) otherwise', async () => {
    const root = await tempDir();
    // Every pixel a different grey, so global max pooling has one argmax per channel (TF.js sends the
    // gradient to every tied maximum, the closed form to one: they agree only without ties).
    const rgb = Uint8Array.from({ length: SIZE * SIZE * 3 }, (_, i) => (Math.floor(i / 3) * 97) % 256);
    for (const head of [
      { kind: 'dense', pooling: 'avg', dropout: 0.2 },
      { kind: 'logistic', pooling: 'max', standardize: true },
      { kind: 'dense', pooling: 'flatten', dropout: 0 },
      { kind: 'dense', pooling: 'avg', dropout: 0, blocks: [{ units: 4 }] },
    ]) {
      const model = patchDetector(head);
      if (head.standardize) {
        const bn = model.getLayer('head_standardize');
        bn.setWeights([tfc.tensor1d([1.5, 0.5]), tfc.tensor1d([0.1, -0.2]), tfc.tensor1d([0.3, 0.6]), tfc.tensor1d([0.04, 0.09])]);
      }
      const dir = join(root, `${head.kind}-${head.pooling}-${head.blocks ? 'blocks' : 'linear'}`);
      await saveLayersModel(model, dir);
      const out = join(dir, 'model.onnx');
      const exported = await exportLayersModel(join(dir, 'model.json'), { out, preprocess: spec, labels: ['plain', 'patch'] });
      if (head.blocks) {
        expect(exported.cam).toMatchObject({ absent: expect.stringMatching(/dense blocks/) as unknown });
        continue;
      }
      expect(exported.cam).toEqual({ shape: [-1, SIZE, SIZE, 2] });
      const session = await createSession(out);
      try {
        const r = await session.run({ pixels: { data: Float32Array.from(rgb), dims: [1, SIZE, SIZE, 3] } });
        for (const c of [0, 1]) {
          const fromOnnx = classChannel(r['cam']!.data, SIZE, SIZE, 2, c);
          const fromTf = GradCam.forModel(model).explain(rgb, spec, { classIndex: c }).heat;
          let maxDiff = 0;
          for (let i = 0; i < fromTf.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(fromOnnx.data[i]! - fromTf.data[i]!));
          expect(maxDiff, `${JSON.stringify(head)} class ${c}`).toBeLessThan(1e-5 * Math.max(1, heatPeak(fromTf).value));
        }
      } finally {
        await session.release();
      }
    }
  });
});
