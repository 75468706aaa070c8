import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, ScheduleSpecSchema } from '@headstart/core';
import { buildClassifier, loadBase, selectBackend, splitModel } from '../src/index.ts';
import { pinInference } from '../src/model/modes.ts';
import { tfc } from '../src/tf.ts';
import { applyFreeze } from '../src/train/phase.ts';
import { makeTinyBase, tempDir } from './fixtures.ts';

describe('boundary cache (split model)', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('prefix + top gives the same loss and gradients as the full model', async () => {
    const base = await loadBase(await makeTinyBase(await tempDir()));
    const model = buildClassifier(base.model, { kind: 'dense', pooling: 'avg', standardize: false, dropout: 0, blocks: [{ units: 5, activation: 'relu', dropout: 0, batchNorm: false }] }, 3, createRng(1));
    const schedule = ScheduleSpecSchema.parse({ phase1: { epochs: 1, learningRate: 1e-3 }, phase2: { epochs: 1, learningRate: 1e-3, unfreeze: { kind: 'top', n: 2 } } });
    const { trainable, pin } = applyFreeze(model, base.layers, 'phase2', schedule);
    expect([...trainable].sort()).toEqual(['bn2', 'c2', 'head_dense_0', 'head_logits']);
    expect(pin.has('bn1') && pin.has('bn2')).toBe(true);
    const split = splitModel(model, trainable);
    expect(split.boundary).toEqual(['r1:0']);
    expect(split.topLayers).toEqual(['c2', 'bn2', 'out', 'head_pool', 'head_dense_0', 'head_logits']);
    const x = tfc.randomUniform([6, 16, 16, 3], -1, 1, 'float32', 5);
    const y = tfc.oneHot(tfc.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), 3);
    const vars = model.trainableWeights.map((w) => w.read() as tfc.Variable);
    const lossOf = (probs: tfc.Tensor): tfc.Scalar => tfc.mean(tfc.neg(tfc.sum(tfc.mul(y, tfc.log(probs)), 1))) as tfc.Scalar;
    const full = tfc.variableGrads(() => lossOf(model.apply(x, { training: true }) as tfc.Tensor), vars);
    const boundary = split.prefix?.predict(x) as tfc.Tensor;
    const cached = tfc.variableGrads(() => lossOf(split.top.apply(boundary, { training: true }) as tfc.Tensor), vars);
    expect(Math.abs((full.value.dataSync()[0] as number) - (cached.value.dataSync()[0] as number))).toBeLessThan(1e-6);
    expect(Object.keys(cached.grads).sort()).toEqual(Object.keys(full.grads).sort());
    for (const k of Object.keys(full.grads)) {
      const a = full.grads[k]?.dataSync() as Float32Array;
      const b = cached.grads[k]?.dataSync() as Float32Array;
      const scale = Math.max(1e-6, ...Array.from(a, Math.abs));
      a.forEach((v, i) => expect(Math.abs(v - (b[i] as number)) / scale).toBeLessThan(1e-4));
    }
  });

  it('a pinned BatchNorm ignores training=true (moving stats unchanged, inference output)', async () => {
    const base = await loadBase(await makeTinyBase(join(await tempDir(), 'b')));
    const bn = base.model.getLayer('bn1');
    const before = bn.getWeights().map((w) => Array.from(w.dataSync()));
    const x = tfc.randomUniform([4, 16, 16, 3], -1, 1, 'float32', 2);
    const unpinnedTrain = base.model.apply(x, { training: true }) as tfc.Tensor;
    const movedStats = bn.getWeights().map((w) => Array.from(w.dataSync()));
    expect(movedStats[2]).not.toEqual(before[2]);
    bn.setWeights(before.map((v, i) => tfc.tensor(v, bn.getWeights()[i]?.shape)));
    pinInference(bn);
    pinInference(base.model.getLayer('bn2'));
    const inference = base.model.predict(x) as tfc.Tensor;
    const pinnedTrain = base.model.apply(x, { training: true }) as tfc.Tensor;
    expect(bn.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(before);
    expect(Array.from(pinnedTrain.dataSync())).toEqual(Array.from(inference.dataSync()));
    expect(Array.from(unpinnedTrain.dataSync())).not.toEqual(Array.from(inference.dataSync()));
  });
});
