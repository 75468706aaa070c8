import { createRng } from '@headstart/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { pinInference } from '../src/model/modes.ts';
import { tfc, tfl, type LayersModel, type SymbolicTensor } from '../src/tf.ts';
import { fitPhase, type BatchSource, type EpochRecord } from '../src/train/fit-loop.ts';
import { resolveSchedule } from '../src/train/schedule.ts';

beforeAll(async () => {
  await tfc.setBackend('cpu');
});

/** Two classes of 6×6×3 "images": a bright blob top-left or bottom-right, plus noise. */
function source(n: number, seed: number): BatchSource {
  const rng = createRng(seed);
  const size = 6 * 6 * 3;
  const data = new Float32Array(n * size);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < size; p++) {
      const y = Math.floor(p / 18);
      const x = Math.floor(p / 3) % 6;
      const blob = labels[i] === 0 ? y < 3 && x < 3 : y >= 3 && x >= 3;
      data[i * size + p] = (blob ? 1 : 0) + rng.uniform(-0.3, 0.3);
    }
  }
  return { count: n, labels, batch: (idx) => [tfc.tensor(Float32Array.from(idx.flatMap((i) => Array.from(data.subarray(i * size, (i + 1) * size)))), [idx.length, 6, 6, 3])] };
}

function model(): LayersModel {
  const input = tfl.input({ shape: [6, 6, 3] });
  const apply = (l: tfl.layers.Layer, x: SymbolicTensor): SymbolicTensor => l.apply(x) as SymbolicTensor;
  let x = apply(tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }), input);
  x = apply(tfl.layers.batchNormalization({ name: 'bn' }), x);
  x = apply(tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthwiseInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }), x);
  x = apply(tfl.layers.reLU({ maxValue: 6 }), x);
  x = apply(tfl.layers.globalAveragePooling2d({}), x);
  x = apply(tfl.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }), x);
  const m = tfl.model({ inputs: input, outputs: x });
  pinInference(m.getLayer('bn'));
  return m;
}

async function run(stepEngine: 'tfjs' | 'onnxruntime'): Promise<{ records: EpochRecord[]; weights: Float32Array[] }> {
  const m = model();
  const spec = { ...resolveSchedule({ phase1: { epochs: 4, batchSize: 8, learningRate: 1e-2 } }).phase1, earlyStopping: false as const };
  const r = await fitPhase({
    phase: 'phase2',
    model: m,
    spec,
    train: source(48, 1),
    val: source(16, 2),
    classes: 2,
    rng: createRng(5),
    onEvent: () => undefined,
    checkpoint: async () => undefined,
    stepEngine,
  });
  return { records: r.records, weights: m.trainableWeights.map((w) => w.read().dataSync() as Float32Array) };
}

describe('fit loop on the onnxruntime step engine', () => {
  it('trains a short phase like TF.js does: same losses, accuracies and weights within float tolerance', async () => {
    const t = await run('tfjs');
    const o = await run('onnxruntime');
    expect(o.records.length).toBe(t.records.length);
    o.records.forEach((r, i) => {
      const w = t.records[i] as EpochRecord;
      expect(r.loss).toBeCloseTo(w.loss, 3);
      expect(r.val_loss as number).toBeCloseTo(w.val_loss as number, 3);
      expect(r.val_acc).toBe(w.val_acc);
    });
    expect(o.records.at(-1)?.val_acc).toBeGreaterThan(0.9);
    o.weights.forEach((w, i) => w.forEach((v, j) => expect(Math.abs(v - (t.weights[i]?.[j] as number))).toBeLessThan(1e-3)));
  });
});
