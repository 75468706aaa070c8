import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select-backend.ts';
import { pinInference } from '../src/model/modes.ts';
import { tfc, tfl, type LayersModel } from '../src/tf.ts';
import { DataParallelSteps, shareRange } from '../src/parallel/data-parallel.ts';
import { shareLoss } from '../src/parallel/share-loss.ts';

function values(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    v[i] = (s / 2147483648) * 2 - 1;
  }
  return v;
}

/** A small net with the layers fine-tuning meets: 1×1 conv, pinned BatchNorm, ReLU6, depthwise, pooling, dense. */
function net(): LayersModel {
  const input = tfl.input({ shape: [6, 6, 4] });
  let x = tfl.layers.conv2d({ filters: 8, kernelSize: 1, useBias: false, name: 'expand' }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: 'bn' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ maxValue: 6, name: 'relu6' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'dw' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 3, activation: 'softmax', name: 'logits' }).apply(x) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: out });
  model.setWeights(
    model.weights.map((w, i) => {
      const shape = w.shape as number[];
      const v = values(shape.reduce((a, b) => a * b, 1), 10 + i);
      return tfc.tensor(w.name.includes('variance') ? v.map((e) => 1 + e / 2) : v, shape);
    }),
  );
  pinInference(model.getLayer('bn'));
  return model;
}

describe('data-parallel training steps', () => {
  let pool: DataParallelSteps | undefined;
  beforeAll(async () => {
    await selectBackend('wasm');
  });
  afterAll(async () => {
    await pool?.dispose();
  });

  it('splits a batch into shares that cover it exactly', () => {
    const ranges = Array.from({ length: 3 }, (_, k) => shareRange(10, 3, k));
    expect(ranges).toEqual([
      [0, 3],
      [3, 6],
      [6, 10],
    ]);
  });

  it('sums the shares to the single-thread gradient of the batch mean, class weights and L2 included', async () => {
    const model = net();
    const classWeights = [1, 2, 0.5];
    pool = await DataParallelSteps.start(model, { workers: 1, backend: 'wasm', classes: 3, classWeights });
    const n = 7;
    const x = tfc.tensor(values(n * 6 * 6 * 4, 3).map((v) => v * 3), [n, 6, 6, 4]);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
    const vars = model.trainableWeights.map((w) => w.read() as tfc.Variable);
    const kernel = model.getLayer('logits').getWeights()[0] as tfc.Tensor;
    const l2 = [{ v: model.getLayer('logits').trainableWeights[0]?.read() ?? kernel, l2: 0.01 }];
    const cw = tfc.tensor1d(classWeights);
    const y = tfc.tensor1d(labels, 'int32');
    const single = tfc.variableGrads(() => shareLoss(model, [x], y, { classes: 3, total: n, classWeights: cw, l2 }).loss, vars);
    const parallel = await pool.gradients([x], labels, [1, 2], l2);
    expect(parallel.loss).toBeCloseTo(single.value.dataSync()[0] as number, 5);
    for (const v of vars) {
      const a = (parallel.grads[v.name] as tfc.Tensor).dataSync();
      const b = (single.grads[v.name] as tfc.Tensor).dataSync();
      expect(a.length).toBe(b.length);
      let worst = 0;
      let norm = 0;
      for (let i = 0; i < a.length; i++) {
        worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
        norm = Math.max(norm, Math.abs(b[i] as number));
      }
      expect(norm).toBeGreaterThan(0);
      expect(worst / norm).toBeLessThan(1e-5);
    }
  }, 60_000);
});
