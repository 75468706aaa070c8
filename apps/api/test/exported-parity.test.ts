import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreprocessSpec } from '@headstart/core';
import { decodeImage } from '@headstart/core-node';
import type { WeightSpec } from '@headstart/core';
import { serialiseArtifact } from '@headstart/exporter';
import { createClassifier } from '@headstart/inference/node';
import { buildApp, type HeadstartApp } from '../src/index.ts';
import { gradient, solid } from './helpers.ts';

const LABELS = ['cat', 'dog', 'fox', 'owl'];
const SPEC: PreprocessSpec = { size: [16, 12], resize: 'cover', mode: 'tf', channelOrder: 'rgb', grayscale: false };

/** A small TF.js conv classifier with seeded weights (standing in for a training run's model/). */
function buildModel(): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [16, 12, 3], filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }), biasInitializer: 'zeros' }));
  m.add(tfl.layers.batchNormalization({ name: 'bn' }));
  m.add(tfl.layers.globalAveragePooling2d({}));
  m.add(tfl.layers.dense({ units: LABELS.length, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }));
  return m;
}

async function artifactOf(m: tfl.LayersModel): Promise<{ modelTopology: unknown; weightSpecs: WeightSpec[]; weightData: ArrayBuffer }> {
  let saved: tf.io.ModelArtifacts | undefined;
  await m.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return { modelTopology: saved!.modelTopology, weightSpecs: saved!.weightSpecs as WeightSpec[], weightData: saved!.weightData as ArrayBuffer };
}

/** TF.js reference: the same decode as the server, then the mode-`tf` normalisation, then predict. */
async function tfjsProbabilities(model: tfl.LayersModel, image: Buffer): Promise<Float32Array> {
  const { data } = await decodeImage(image, { size: SPEC.size, resize: SPEC.resize });
  const x = tf.tidy(() => tf.sub(tf.div(tf.tensor4d(Float32Array.from(data), [1, 16, 12, 3]), 127.5), 1));
  const y = model.predict(x) as tf.Tensor;
  const out = (await y.data()) as Float32Array;
  tf.dispose([x, y]);
  return out;
}

describe('exported model parity: TF.js vs @headstart/inference vs API', () => {
  let app: HeadstartApp;
  let model: tfl.LayersModel;
  let onnxPath: string;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = buildModel();
    // give BatchNorm non-trivial statistics so folding is exercised
    const bn = model.getLayer('bn');
    bn.setWeights([tf.tensor1d([1.2, 0.8, 1, 1.5, 0.7, 1.1]), tf.tensor1d([0.1, -0.2, 0, 0.3, 0.05, -0.1]), tf.tensor1d([0.2, 0.1, 0.3, 0, 0.15, 0.05]), tf.tensor1d([1.5, 0.5, 2, 1, 0.8, 1.2])]);
    const root = mkdtempSync(join(tmpdir(), 'headstart-parity-'));
    mkdirSync(join(root, 'animals', '1'), { recursive: true });
    onnxPath = join(root, 'animals', '1', 'model.onnx');
    writeFileSync(onnxPath, serialiseArtifact(await artifactOf(model), { labels: LABELS, preprocess: SPEC }).data);
    app = buildApp({ modelsDir: root, pollMs: 0, threads: 1 });
    await app.ready;
  });
  afterAll(() => app.close());

  it('the exporter-written model serves with its metadata', async () => {
    const res = await request(app).get('/v1/models/animals').expect(200);
    expect(res.body.labels).toEqual(LABELS);
    expect(res.body.input.shape).toEqual([-1, 16, 12, 3]);
    expect(res.body.input.preprocess).toMatchObject({ mode: 'tf', resize: 'cover' });
  });

  it('same top-1 and probabilities within 1e-4 via TF.js, the library and the API', async () => {
    const clf = await createClassifier(onnxPath, { threads: 1 });
    for (const image of [await gradient(64, 40), await gradient(30, 50), await solid([30, 160, 220], 'jpeg', 40, 40)]) {
      const ref = await tfjsProbabilities(model, image);
      const lib = await clf.runPixels(await clf.decode(image), 1);
      const type = image[0] === 0xff ? 'image/jpeg' : 'image/png';
      const api = await request(app).post(`/v1/models/animals/predict?topk=${LABELS.length}`).set('Content-Type', type).send(image);
      expect(api.status).toBe(200);
      const apiProbs = new Map<string, number>(api.body.predictions.map((p: { label: string; probability: number }) => [p.label, p.probability]));
      const top = (probs: ArrayLike<number>): number => Array.from(probs).indexOf(Math.max(...Array.from(probs)));
      expect(Math.max(...ref) - Math.min(...ref)).toBeGreaterThan(0.02); // not a degenerate, uniform output
      expect(top(lib)).toBe(top(ref));
      expect(api.body.predictions[0].label).toBe(LABELS[top(ref)]);
      LABELS.forEach((label, i) => {
        expect(Math.abs(lib[i]! - ref[i]!)).toBeLessThan(1e-4);
        expect(Math.abs(apiProbs.get(label)! - ref[i]!)).toBeLessThan(1e-4);
      });
    }
    await clf.dispose();
  });
});
