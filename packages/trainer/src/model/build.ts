/** Assembles base (cut) + head into one flat functional model, and the scratch CNN. */
import type { HeadSpec, Rng } from '@headstart/core';
import { tfl, type LayersModel, type SymbolicTensor } from '../tf.ts';
import { applyHeadTop, applyPooling, applyStandardize, HEAD_PREFIX } from './head.ts';

/** base.input → base layers → head (standardize, pool, dense) → softmax, as one flat model (layers shared with `base`). */
export function buildClassifier(base: LayersModel, head: HeadSpec, classes: number, rng: Rng, name = 'headstart_classifier'): LayersModel {
  const features = applyStandardize(head, base.outputs[0] as SymbolicTensor);
  const pooled = applyPooling(head, features);
  const out = applyHeadTop(head, pooled, classes, rng.fork(1000));
  return tfl.model({ inputs: base.inputs, outputs: out, name });
}

/** Names of the layers of `model` that belong to the head. */
export function headLayerNames(model: LayersModel): string[] {
  return model.layers.filter((l) => l.name.startsWith(HEAD_PREFIX)).map((l) => l.name);
}

/** The scratch CNN's head: flatten, dense 128 (relu), dropout 0.25. */
export const SCRATCH_HEAD: HeadSpec = { kind: 'dense', pooling: 'flatten', standardize: false, dropout: 0.25, blocks: [{ units: 128, activation: 'relu', dropout: 0, batchNorm: false }] };
/** Input size of the scratch CNN when none is given. */
export const SCRATCH_SIZE = 64;

/** Name of the scratch CNN's feature layer (its "cut"). */
export const SCRATCH_CUT = 'scratch_features';

/**
 * The small CNN trained from random init in `scratch` mode (two 3×3 conv blocks of 32 and
 * 64 filters with max-pooling, as in the PyTorch reference), returned as a
 * feature extractor (input → `scratch_features`); the head goes on top like on any base.
 */
export function buildScratchCnn(inputSize: [number, number], rng: Rng, channels = 3): LayersModel {
  const init = (): ReturnType<typeof tfl.initializers.heNormal> => tfl.initializers.heNormal({ seed: rng.int(2 ** 31 - 1) });
  const input = tfl.input({ shape: [inputSize[0], inputSize[1], channels], name: 'scratch_input' });
  let x = tfl.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', name: 'scratch_conv1', kernelInitializer: init() }).apply(input) as SymbolicTensor;
  x = tfl.layers.maxPooling2d({ poolSize: 2, name: 'scratch_pool1' }).apply(x) as SymbolicTensor;
  x = tfl.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu', name: 'scratch_conv2', kernelInitializer: init() }).apply(x) as SymbolicTensor;
  x = tfl.layers.maxPooling2d({ poolSize: 2, name: SCRATCH_CUT }).apply(x) as SymbolicTensor;
  return tfl.model({ inputs: input, outputs: x, name: 'scratch_cnn' });
}
