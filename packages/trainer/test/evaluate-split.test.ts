import { createRng, preprocessSpecFor } from '@headstart/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ImageSource } from '../src/data/sources.ts';
import { evaluateSource } from '../src/train/fit-loop.ts';
import { evaluateSplit } from '../src/train/evaluate-split.ts';
import { tfc, tfl, type SymbolicTensor } from '../src/tf.ts';

beforeAll(async () => {
  await tfc.setBackend('cpu');
});

/** A small "base" (conv, BatchNorm, pooling) and a head_-named head, as train builds classifiers. */
function classifier() {
  const input = tfl.input({ shape: [8, 8, 3] });
  let x = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'base_conv', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }).apply(input) as SymbolicTensor;
  x = tfl.layers.maxPooling2d({ poolSize: 2, name: 'base_pool' }).apply(x) as SymbolicTensor;
  x = tfl.layers.flatten({ name: 'head_pool' }).apply(x) as SymbolicTensor;
  x = tfl.layers.dropout({ rate: 0.3, name: 'head_dropout' }).apply(x) as SymbolicTensor;
  x = tfl.layers.dense({ units: 3, activation: 'softmax', name: 'head_logits', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }).apply(x) as SymbolicTensor;
  return tfl.model({ inputs: input, outputs: x });
}

describe('evaluateSplit', () => {
  it('gives the whole model’s TF.js probabilities and accuracy, the base on onnxruntime, over more images than one chunk', async () => {
    const rng = createRng(3);
    const n = 300;
    const pixels = Array.from({ length: n }, () => Uint8Array.from({ length: 8 * 8 * 3 }, () => rng.int(256)));
    const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
    const spec = preprocessSpecFor('tf', [8, 8]);
    const model = classifier();
    const want = evaluateSource(model, new ImageSource(pixels, labels, spec), 3, 32);
    const got = await evaluateSplit(model, { pixels, labels, paths: [] }, spec, 3);
    expect(got.probs.length).toBe(n * 3);
    let worst = 0;
    for (let i = 0; i < got.probs.length; i++) worst = Math.max(worst, Math.abs((got.probs[i] as number) - (want.probs[i] as number)));
    expect(worst).toBeLessThan(1e-4);
    expect(got.acc).toBe(want.acc);
    expect(got.loss).toBeCloseTo(want.loss, 4);
  });
});
