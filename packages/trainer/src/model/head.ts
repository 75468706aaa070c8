/** Builds the classifier head from a `HeadSpec` on top of a symbolic feature tensor. */
import type { HeadSpec } from '@headstart/core';
import { tfl, type SymbolicTensor } from '../tf.ts';

/** All head layers are named with this prefix so a run's head can be found and removed. */
export const HEAD_PREFIX = 'head_';
/** Name of the head's frozen, data-adapted normalisation layer (`standardize: true`). */
export const HEAD_STANDARDIZE = 'head_standardize';
/** Name of the pooling layer of the head (absent when features are already flat). */
export const HEAD_POOL = 'head_pool';

type Activation = 'relu' | 'relu6' | 'elu' | 'selu' | 'swish' | 'tanh' | 'sigmoid' | 'linear' | 'gelu' | 'softmax';

/** Seed source for initialisers (same seed → same initial head). */
export interface SeedSource {
  int(n: number): number;
}

function init(seeds: SeedSource): ReturnType<typeof tfl.initializers.glorotUniform> {
  return tfl.initializers.glorotUniform({ seed: seeds.int(2 ** 31 - 1) });
}

/**
 * Applies the head's per-channel standardisation when `spec.standardize`: a BatchNormalization
 * layer that never trains and always runs in inference mode; `adaptStandardization` sets its
 * moving mean and variance from the training images' features (identity until then).
 */
export function applyStandardize(spec: HeadSpec, features: SymbolicTensor): SymbolicTensor {
  if (!spec.standardize) return features;
  const layer = tfl.layers.batchNormalization({ name: HEAD_STANDARDIZE, axis: -1, epsilon: STANDARDIZE_EPSILON, trainable: false });
  return layer.apply(features) as SymbolicTensor;
}

/** Variance floor of the standardisation (Keras BatchNormalization's default epsilon). */
export const STANDARDIZE_EPSILON = 1e-3;

/** Applies the pooling of `spec` (skipped for rank-2 features). */
export function applyPooling(spec: HeadSpec, features: SymbolicTensor): SymbolicTensor {
  if (features.shape.length !== 4) return features;
  const layer =
    spec.pooling === 'avg'
      ? tfl.layers.globalAveragePooling2d({ name: HEAD_POOL })
      : spec.pooling === 'max'
        ? tfl.layers.globalMaxPooling2d({ name: HEAD_POOL })
        : tfl.layers.flatten({ name: HEAD_POOL });
  return layer.apply(features) as SymbolicTensor;
}

/** Applies the head after pooling: dropout, dense blocks, softmax output. */
export function applyHeadTop(spec: HeadSpec, pooled: SymbolicTensor, classes: number, seeds: SeedSource): SymbolicTensor {
  let x = pooled;
  const apply = (layer: { apply(t: SymbolicTensor): unknown }): void => {
    x = layer.apply(x) as SymbolicTensor;
  };
  if (spec.kind === 'logistic') {
    const reg = spec.l2 > 0 ? { kernelRegularizer: tfl.regularizers.l2({ l2: spec.l2 }) } : {};
    apply(tfl.layers.dense({ units: classes, activation: 'softmax', name: `${HEAD_PREFIX}logits`, kernelInitializer: init(seeds), ...reg }));
    return x;
  }
  const dropoutSeed = (): number => seeds.int(2 ** 31 - 1);
  if (spec.dropout > 0) apply(tfl.layers.dropout({ rate: spec.dropout, name: `${HEAD_PREFIX}dropout`, seed: dropoutSeed() }));
  spec.blocks.forEach((b, i) => {
    if (b.batchNorm) {
      apply(tfl.layers.dense({ units: b.units, useBias: false, name: `${HEAD_PREFIX}dense_${i}`, kernelInitializer: init(seeds) }));
      apply(tfl.layers.batchNormalization({ name: `${HEAD_PREFIX}bn_${i}` }));
      if (b.activation !== 'linear') apply(tfl.layers.activation({ activation: b.activation as Activation, name: `${HEAD_PREFIX}act_${i}` }));
    } else {
      apply(tfl.layers.dense({ units: b.units, activation: b.activation as Activation, name: `${HEAD_PREFIX}dense_${i}`, kernelInitializer: init(seeds) }));
    }
    if (b.dropout > 0) apply(tfl.layers.dropout({ rate: b.dropout, name: `${HEAD_PREFIX}dropout_${i}`, seed: dropoutSeed() }));
  });
  apply(tfl.layers.dense({ units: classes, activation: 'softmax', name: `${HEAD_PREFIX}logits`, kernelInitializer: init(seeds) }));
  return x;
}

/** The L2 penalty of a logistic head, or 0. */
export function headL2(spec: HeadSpec): number {
  return spec.kind === 'logistic' ? spec.l2 : 0;
}
