/** The TF.js ↔ onnxruntime checks that live with the trainer: the export parity harness and the ONNX feature engine. */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { preprocessSpecFor } from '@headstart/core';
import { exportLayersModel } from '@headstart/exporter';
import { saveLayersModel, selectBackend } from '../src/index.ts';
import { compareRows, verifyExport } from '../src/parity/index.ts';
import { tfc, tfl, type LayersModel } from '../src/tf.ts';
import { createOnnxFeatureExtractor } from '../src/train/onnx-features.ts';
import { tempDir } from './fixtures.ts';

/** Dilated convs, a depthwise conv with a BatchNorm the exporter folds, relu6, pooling and a softmax head. */
function smallCnn(seed: number): LayersModel {
  const L = tfl.layers;
  const model = tfl.sequential({
    layers: [
      L.conv2d({ inputShape: [19, 19, 3], filters: 4, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'elu' }),
      L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' }),
      L.batchNormalization({}),
      L.activation({ activation: 'relu6' }),
      L.globalAveragePooling2d({}),
      L.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  let s = seed >>> 0;
  const next = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  model.setWeights(
    model.weights.map((w) => {
      const shape = w.shape.map((d) => d ?? 1);
      const positive = /variance|gamma/.test(w.name);
      return tfc.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (positive ? 0.5 + next() : next() - 0.5)), shape);
    }),
  );
  return model;
}

async function artifactOf(model: LayersModel): Promise<Parameters<typeof createOnnxFeatureExtractor>[0]> {
  let saved: tfc.io.ModelArtifacts | undefined;
  await model.save(tfc.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  return { modelTopology: saved!.modelTopology, weightSpecs: saved!.weightSpecs as never, weightData: saved!.weightData as ArrayBuffer };
}

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('verifyExport (the user-facing parity harness)', () => {
  it('passes for a faithful export and fails when the ONNX file belongs to other weights', async () => {
    const dir = await tempDir('hs-parity-');
    const spec = preprocessSpecFor('torch', [19, 19]);
    await saveLayersModel(smallCnn(1), join(dir, 'a'));
    const onnxA = await exportLayersModel(join(dir, 'a', 'model.json'), { out: join(dir, 'a.onnx'), preprocess: spec });
    const good = await verifyExport({ modelJson: join(dir, 'a', 'model.json'), onnx: onnxA.path, preprocess: spec, images: { data: new Uint8Array(19 * 19 * 3).fill(200), count: 1 } });
    expect(good.ok).toBe(true);
    expect(good.cases.map((k) => `${k.source}:${k.batch}`)).toEqual(['random:1', 'random:8', 'images:1']);
    expect(good.maxAbsDiff).toBeLessThanOrEqual(1e-4);

    await saveLayersModel(smallCnn(2), join(dir, 'b'));
    const bad = await verifyExport({ modelJson: join(dir, 'b', 'model.json'), onnx: onnxA.path, preprocess: spec });
    expect(bad.ok).toBe(false);
    expect(bad.maxAbsDiff).toBeGreaterThan(1e-3);
  });

  it('compareRows reports the largest difference and per-row argmax agreement', () => {
    const a = Float32Array.from([0.1, 0.9, 0.6, 0.4]);
    expect(compareRows(a, Float32Array.from([0.1, 0.9, 0.6, 0.4]), 2)).toEqual({ maxAbsDiff: 0, top1Agree: true });
    const r = compareRows(a, Float32Array.from([0.1, 0.9, 0.45, 0.55]), 2);
    expect(r.top1Agree).toBe(false);
    expect(r.maxAbsDiff).toBeCloseTo(0.15, 6);
  });
});

describe('createOnnxFeatureExtractor', () => {
  it('runs a cut base on onnxruntime-node with the same features as TF.js', async () => {
    const model = smallCnn(8);
    const cut = model.layers[3]!.name; // the relu6 activation after the folded depthwise+BN
    const fx = await createOnnxFeatureExtractor(await artifactOf(model), { cut });
    let s = 3;
    const x = Float32Array.from({ length: 3 * 19 * 19 * 3 }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31) - 1);
    const actual = await fx.run(x, 3);
    const cutModel = tfl.model({ inputs: model.inputs, outputs: model.getLayer(cut).output as tfl.SymbolicTensor });
    const expected = tfc.tidy(() => (cutModel.predict(tfc.tensor(x, [3, 19, 19, 3])) as tfc.Tensor).dataSync() as Float32Array);
    expect(fx.outputShape).toEqual([-1, ...(cutModel.outputs[0]!.shape.slice(1) as number[])]);
    expect(compareRows(expected, actual, 3).maxAbsDiff).toBeLessThanOrEqual(1e-4);
    await fx.dispose();
    model.dispose();
  });
});
