/**
 * Keras layer configs (Keras 2 and Keras 3 spellings) → the Keras-2-style configs TF.js layers
 * deserialises, plus the names of each layer's variables in saving order. One rule per class;
 * a class without a rule is refused by name.
 */
import { HeadstartError } from '@headstart/core';

type Cfg = Record<string, unknown>;

/** How one Keras layer class converts. */
export interface LayerRule {
  /** TF.js class name (usually the same). */
  className?: string;
  config(c: Cfg): Cfg;
  /** Variable names in Keras' saving order (trainable first, then non-trainable). */
  vars(c: Cfg): string[];
}

function pair(v: unknown, fallback: number): [number, number] {
  if (Array.isArray(v)) return [Number(v[0]), Number(v[1] ?? v[0])];
  if (typeof v === 'number') return [v, v];
  return [fallback, fallback];
}

/** An activation identifier as a string (Keras 3 may serialise `{class_name, config}`). */
function activation(v: unknown): string {
  if (v === undefined || v === null) return 'linear';
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && 'class_name' in v) return String((v as { class_name: unknown }).class_name);
  return String(v);
}

const bias = (c: Cfg): string[] => (c['use_bias'] === false ? [] : ['bias']);
const spatial = (c: Cfg): Cfg => ({
  kernel_size: pair(c['kernel_size'], 1),
  strides: pair(c['strides'], 1),
  padding: c['padding'] ?? 'valid',
  data_format: 'channels_last',
  dilation_rate: pair(c['dilation_rate'], 1),
  activation: activation(c['activation']),
  use_bias: c['use_bias'] !== false,
});
const pool = (c: Cfg): Cfg => {
  const size = pair(c['pool_size'], 2);
  return { pool_size: size, strides: c['strides'] === null || c['strides'] === undefined ? size : pair(c['strides'], 1), padding: c['padding'] ?? 'valid', data_format: 'channels_last' };
};
const globalPool: LayerRule = {
  config: (c) => {
    if (c['keepdims'] === true) throw new HeadstartError('UNSUPPORTED_LAYER', 'Global pooling with keepdims=True is not supported; rebuild the layer with keepdims=False');
    return { data_format: 'channels_last' };
  },
  vars: () => [],
};
const none = (): string[] => [];
const merge: LayerRule = { config: () => ({}), vars: none };

function bnAxis(v: unknown): number {
  const a = Array.isArray(v) ? v : [v ?? -1];
  if (a.length !== 1 || (a[0] !== -1 && a[0] !== 3)) throw new HeadstartError('UNSUPPORTED_LAYER', `BatchNormalization over axis ${JSON.stringify(v)} is not supported (channels-last only)`);
  return -1;
}

/** Keras ZeroPadding2D `padding` (int, [h, w] or [[t, b], [l, r]]) → [[t, b], [l, r]]. */
function padding2d(v: unknown): [[number, number], [number, number]] {
  if (typeof v === 'number') return [[v, v], [v, v]];
  if (Array.isArray(v) && typeof v[0] === 'number') return [[v[0], v[0]], [Number(v[1]), Number(v[1])]];
  if (Array.isArray(v)) return [pair(v[0], 0), pair(v[1], 0)];
  return [[1, 1], [1, 1]];
}

/** Rules by Keras class name. `Normalization` becomes a scale/centre-free BatchNormalization (see read-keras). */
export const LAYER_RULES: Readonly<Record<string, LayerRule>> = {
  Conv2D: { config: (c) => ({ filters: c['filters'], ...spatial(c) }), vars: (c) => ['kernel', ...bias(c)] },
  DepthwiseConv2D: { config: (c) => ({ depth_multiplier: c['depth_multiplier'] ?? 1, ...spatial(c) }), vars: (c) => ['depthwise_kernel', ...bias(c)] },
  SeparableConv2D: {
    config: (c) => ({ filters: c['filters'], depth_multiplier: c['depth_multiplier'] ?? 1, ...spatial(c) }),
    vars: (c) => ['depthwise_kernel', 'pointwise_kernel', ...bias(c)],
  },
  BatchNormalization: {
    config: (c) => ({ axis: bnAxis(c['axis']), momentum: c['momentum'] ?? 0.99, epsilon: c['epsilon'] ?? 1e-3, center: c['center'] !== false, scale: c['scale'] !== false }),
    vars: (c) => [...(c['scale'] !== false ? ['gamma'] : []), ...(c['center'] !== false ? ['beta'] : []), 'moving_mean', 'moving_variance'],
  },
  Normalization: {
    className: 'BatchNormalization',
    config: (c) => {
      if (c['invert'] === true) throw new HeadstartError('UNSUPPORTED_LAYER', 'Normalization with invert=True is not supported');
      bnAxis(c['axis']);
      return { axis: -1, momentum: 0.99, epsilon: 0, center: false, scale: false };
    },
    vars: () => ['mean', 'variance'],
  },
  Activation: { config: (c) => ({ activation: activation(c['activation']) }), vars: none },
  ReLU: {
    config: (c) => {
      if (Number(c['negative_slope'] ?? 0) !== 0 || Number(c['threshold'] ?? 0) !== 0) {
        throw new HeadstartError('UNSUPPORTED_LAYER', 'ReLU with negative_slope or threshold is not supported (use LeakyReLU)');
      }
      return { max_value: c['max_value'] ?? null };
    },
    vars: none,
  },
  LeakyReLU: { config: (c) => ({ alpha: c['alpha'] ?? c['negative_slope'] ?? 0.3 }), vars: none },
  ELU: { config: (c) => ({ alpha: c['alpha'] ?? 1 }), vars: none },
  Softmax: { config: (c) => ({ axis: Array.isArray(c['axis']) ? c['axis'][0] : (c['axis'] ?? -1) }), vars: none },
  MaxPooling2D: { config: pool, vars: none },
  AveragePooling2D: { config: pool, vars: none },
  GlobalAveragePooling2D: globalPool,
  GlobalMaxPooling2D: globalPool,
  Add: merge,
  Subtract: merge,
  Multiply: merge,
  Average: merge,
  Maximum: merge,
  Minimum: merge,
  Concatenate: { config: (c) => ({ axis: c['axis'] ?? -1 }), vars: none },
  ZeroPadding2D: { config: (c) => ({ padding: padding2d(c['padding']), data_format: 'channels_last' }), vars: none },
  Dense: { config: (c) => ({ units: c['units'], activation: activation(c['activation']), use_bias: c['use_bias'] !== false }), vars: (c) => ['kernel', ...bias(c)] },
  Dropout: { config: (c) => ({ rate: c['rate'] ?? 0.5 }), vars: none },
  Flatten: { config: () => ({ data_format: 'channels_last' }), vars: none },
  Reshape: { config: (c) => ({ target_shape: c['target_shape'] }), vars: none },
  Rescaling: {
    config: (c) => {
      if (typeof c['scale'] !== 'number' || typeof (c['offset'] ?? 0) !== 'number') throw new HeadstartError('UNSUPPORTED_LAYER', 'Rescaling with per-channel scale or offset is not supported');
      return { scale: c['scale'], offset: c['offset'] ?? 0 };
    },
    vars: none,
  },
};
