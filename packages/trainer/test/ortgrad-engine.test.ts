import { createRng, type Rng } from '@headstart/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { pinInference } from '../src/model/modes.ts';
import { shareLoss } from '../src/parallel/share-loss.ts';
import { tfc, tfl, type LayersModel, type SymbolicTensor } from '../src/tf.ts';
import { dropoutMask, OrtStepEngine } from '../src/ortgrad/engine.ts';
import { Unsupported } from '../src/ortgrad/tape.ts';

const CLASSES = 3;
const N = 5;

beforeAll(async () => {
  await tfc.setBackend('cpu');
});

/** Random (seeded) values for every weight, BatchNorm statistics included (variance kept positive). */
function randomise(model: LayersModel, rng: Rng): void {
  for (const l of model.layers) {
    l.setWeights(l.weights.map((w) => {
      const size = w.shape.reduce((a: number, d) => a * (d as number), 1);
      const v = Float32Array.from({ length: size }, () => rng.uniform(-0.5, 0.5));
      if (w.originalName.endsWith('moving_variance')) v.forEach((x, i) => (v[i] = 0.5 + Math.abs(x)));
      return tfc.tensor(v, w.shape as number[]);
    }));
  }
}

function apply(layer: tfl.layers.Layer, x: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
  return layer.apply(x) as SymbolicTensor;
}

/** A MobileNetV2-like block with a residual add, both paddings and strides, both poolings' neighbours, and a dense head. */
function mobileLike(): LayersModel {
  const input = tfl.input({ shape: [6, 6, 4] });
  let x = apply(tfl.layers.conv2d({ filters: 8, kernelSize: 1, useBias: false, name: 'expand' }), input);
  x = apply(tfl.layers.batchNormalization({ name: 'expand_bn' }), x);
  x = apply(tfl.layers.reLU({ maxValue: 6, name: 'expand_relu' }), x);
  x = apply(tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, name: 'dw' }), x);
  x = apply(tfl.layers.batchNormalization({ name: 'dw_bn' }), x);
  x = apply(tfl.layers.reLU({ maxValue: 6, name: 'dw_relu' }), x);
  x = apply(tfl.layers.conv2d({ filters: 4, kernelSize: 1, useBias: false, name: 'project' }), x);
  x = apply(tfl.layers.batchNormalization({ name: 'project_bn' }), x);
  x = apply(tfl.layers.add({ name: 'add' }), [input, x]);
  x = apply(tfl.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: 'pad' }), x);
  x = apply(tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'valid', name: 'dw2' }), x);
  x = apply(tfl.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'conv3' }), x);
  x = apply(tfl.layers.globalAveragePooling2d({ name: 'gap' }), x);
  x = apply(tfl.layers.dense({ units: 5, activation: 'relu', name: 'fc' }), x);
  x = apply(tfl.layers.dense({ units: CLASSES, activation: 'softmax', name: 'logits' }), x);
  return tfl.model({ inputs: input, outputs: x });
}

/** The scratch CNN's kinds of layers, depthwise convs on larger maps, a global max pooling, flatten and a dropout. */
function scratchLike(head: 'max' | 'flatten'): LayersModel {
  const input = tfl.input({ shape: [12, 12, 3] });
  let x = apply(tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1' }), input);
  // Feature maps too large for the banded form: depthwise tap by tap, stride 1 and 2.
  x = apply(tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'dwa' }), x);
  x = apply(tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'dwb' }), x);
  x = apply(tfl.layers.maxPooling2d({ poolSize: 2, name: 'p1' }), x);
  x = apply(tfl.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'valid', activation: 'relu6', name: 'c2' }), x);
  x = apply(head === 'max' ? tfl.layers.globalMaxPooling2d({ name: 'gmp' }) : tfl.layers.flatten({ name: 'flat' }), x);
  x = apply(tfl.layers.dropout({ rate: 0.4, name: 'drop' }), x);
  x = apply(tfl.layers.dense({ units: CLASSES, activation: 'softmax', name: 'logits' }), x);
  return tfl.model({ inputs: input, outputs: x });
}

/**
 * The scratch CNN's own stack (3×3 'same' convs whose ReLU runs after the max pooling, stride-1
 * convolutions with a live input) plus an overlapping pooling window and a 'same'-padded one.
 */
function poolStack(): LayersModel {
  const input = tfl.input({ shape: [12, 12, 3] });
  let x = apply(tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1' }), input);
  x = apply(tfl.layers.maxPooling2d({ poolSize: 2, name: 'p1' }), x);
  x = apply(tfl.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c2' }), x);
  x = apply(tfl.layers.maxPooling2d({ poolSize: 2, name: 'p2' }), x);
  x = apply(tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c3' }), x);
  x = apply(tfl.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'same', name: 'p3' }), x);
  x = apply(tfl.layers.conv2d({ filters: 4, kernelSize: 2, padding: 'same', activation: 'relu', name: 'c4' }), x);
  x = apply(tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'p4' }), x);
  x = apply(tfl.layers.flatten({ name: 'flat' }), x);
  x = apply(tfl.layers.dense({ units: CLASSES, activation: 'softmax', name: 'logits' }), x);
  return tfl.model({ inputs: input, outputs: x });
}

/** TF.js's loss and gradients of the same step, the dropout layers applying the engine's masks. */
function reference(model: LayersModel, x: tfc.Tensor, labels: Int32Array, rng: Rng, o: { classWeights?: number[]; l2?: number }) {
  let j = 0;
  for (const l of model.layers) {
    if (l.getClassName() !== 'Dropout') continue;
    const shape = (l.outputShape as number[]).slice(1);
    const mask = tfc.tensor(dropoutMask(rng, j++, N * shape.reduce((a, d) => a * d, 1), 0.4), [N, ...shape]);
    (l as unknown as { call: (i: unknown, kw: { training?: boolean }) => tfc.Tensor }).call = (i, kw) => {
      const t = Array.isArray(i) ? (i[0] as tfc.Tensor) : (i as tfc.Tensor);
      return kw.training ? tfc.mul(t, mask) : t;
    };
  }
  const vars = model.trainableWeights.map((w) => w.read() as tfc.Variable);
  const y = tfc.tensor1d(labels, 'int32');
  const cw = o.classWeights ? tfc.tensor1d(o.classWeights) : undefined;
  const logits = model.getLayer('logits').weights[0]?.read() as tfc.Tensor;
  const { value, grads } = tfc.variableGrads(
    () => shareLoss(model, [x], y, { classes: CLASSES, total: N, ...(cw ? { classWeights: cw } : {}), l2: o.l2 ? [{ v: logits, l2: o.l2 }] : [] }).loss,
    vars,
  );
  return { loss: value.dataSync()[0] as number, grads: vars.map((v) => grads[v.name]?.dataSync() as Float32Array) };
}

function relErr(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let m = 1e-6;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
    m = Math.max(m, Math.abs(b[i] as number));
  }
  return d / m;
}

async function compare(model: LayersModel, o: { classWeights?: number[]; l2?: number; seed: number; zeros?: number }): Promise<void> {
  const rng = createRng(o.seed);
  randomise(model, rng);
  const inShape = (model.inputs[0]?.shape as number[]).slice(1);
  // `zeros`: that share of the images is black (as Fashion-MNIST's background): constant regions tie in every pooling window.
  const x = tfc.tensor(Float32Array.from({ length: N * inShape.reduce((a, d) => a * d, 1) }, (_, i) => (o.zeros && (i % 97) / 97 < o.zeros ? 0 : rng.uniform(-1, 2))), [N, ...inShape]);
  const labels = Int32Array.from({ length: N }, (_, i) => i % CLASSES);
  const stepRng = rng.fork(3);
  const engine = await OrtStepEngine.create(model, {
    classes: CLASSES,
    threads: 1,
    ...(o.classWeights ? { classWeights: o.classWeights } : {}),
    ...(o.l2 ? { l2: [{ weight: 'logits/kernel', l2: o.l2 }] } : {}),
  });
  try {
    const got = await engine.gradients([x], labels, stepRng);
    const probs = await engine.predict([x]);
    const want = reference(model, x, labels, stepRng, o);
    expect(Math.abs(got.loss - want.loss) / Math.abs(want.loss)).toBeLessThan(1e-4);
    model.trainableWeights.forEach((w, i) => {
      const g = got.grads[i] as Float32Array;
      expect(g.length, w.originalName).toBe((want.grads[i] as Float32Array).length);
      expect(relErr(g, want.grads[i] as Float32Array), w.originalName).toBeLessThan(1e-4);
    });
    const wantProbs = (model.predict(x) as tfc.Tensor).dataSync() as Float32Array;
    expect(relErr(probs, wantProbs)).toBeLessThan(1e-4);
  } finally {
    await engine.dispose();
  }
}

describe('onnxruntime step engine', () => {
  it('matches TF.js loss and gradients: 1×1 / depthwise / strided convs, pinned BatchNorm, ReLU6, add, padding, average pooling, dense', async () => {
    const model = mobileLike();
    for (const n of ['expand_bn', 'dw_bn', 'project_bn']) pinInference(model.getLayer(n));
    await compare(model, { seed: 1, classWeights: [1, 2, 0.5], l2: 0.01 });
  });

  it('matches TF.js with frozen layers in the top (only the trainable ones get gradients)', async () => {
    const model = mobileLike();
    for (const n of ['expand_bn', 'dw_bn', 'project_bn']) pinInference(model.getLayer(n));
    for (const n of ['expand', 'expand_bn', 'dw', 'conv3']) model.getLayer(n).trainable = false;
    await compare(model, { seed: 2 });
  });

  it('matches TF.js: 3×3 convs with bias, tap-by-tap depthwise (stride 1 and 2), max pooling, global max pooling, dropout with a given mask', async () => {
    await compare(scratchLike('max'), { seed: 3 });
  });

  it('matches TF.js: flatten of an image tensor', async () => {
    await compare(scratchLike('flatten'), { seed: 4 });
  });

  it('matches TF.js on the scratch CNN stack, overlapping and padded pooling windows, with ties in the pooling windows', async () => {
    await compare(poolStack(), { seed: 5 });
    await compare(poolStack(), { seed: 6, zeros: 0.6 });
  });

  it('declines a model it has no rule for, and BatchNorm using batch statistics', async () => {
    const input = tfl.input({ shape: [4, 4, 2] });
    const sep = tfl.model({ inputs: input, outputs: apply(tfl.layers.dense({ units: CLASSES, activation: 'softmax', name: 'logits' }), apply(tfl.layers.flatten({}), apply(tfl.layers.separableConv2d({ filters: 2, kernelSize: 3 }), input))) });
    await expect(OrtStepEngine.create(sep, { classes: CLASSES })).rejects.toThrow(Unsupported);
    const bn = mobileLike();
    await expect(OrtStepEngine.create(bn, { classes: CLASSES })).rejects.toThrow(/BatchNormalization in training mode/);
  });
});
