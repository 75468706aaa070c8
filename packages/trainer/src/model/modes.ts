/** Per-layer training-mode controls tfjs-layers lacks: BatchNorm pinned to inference, reseeded dropout. */
import type { Rng } from '@headstart/core';
import { affineBatchNorm, clippedRelu } from '../kernels/fast-ops.ts';
import type { LayersModel, Tensor } from '../tf.ts';
import { STOCHASTIC_LAYERS } from './graph.ts';

type Callable = { call: (inputs: unknown, kwargs: Record<string, unknown>) => unknown };
const PINNED = Symbol('headstart.bnInference');
const FAST_RELU = Symbol('headstart.fastRelu');

type Weight = { read(): Tensor } | null | undefined;
/** The fields of a tfjs-layers BatchNormalization the affine form reads. */
interface BatchNormLike {
  getClassName(): string;
  axis: number | number[];
  epsilon: number;
  gamma?: Weight;
  beta?: Weight;
  movingMean: { read(): Tensor };
  movingVariance: { read(): Tensor };
}

function one(inputs: unknown): Tensor {
  return (Array.isArray(inputs) ? inputs[0] : inputs) as Tensor;
}

function asBatchNorm(layer: object): BatchNormLike | undefined {
  const bn = layer as BatchNormLike;
  return typeof bn.getClassName === 'function' && bn.getClassName() === 'BatchNormalization' ? bn : undefined;
}

/** True when `bn` normalises over the last axis of a rank-`rank` input (the affine form's case). */
function lastAxis(bn: BatchNormLike, rank: number): boolean {
  const axis = Array.isArray(bn.axis) ? (bn.axis.length === 1 ? bn.axis[0] : undefined) : bn.axis;
  return axis !== undefined && (axis < 0 ? rank + axis : axis) === rank - 1;
}

/**
 * Pins a layer to inference mode: its `call` always receives `training: false`, so a
 * BatchNormalization layer normalises with its moving statistics and never updates them
 * (tfjs-layers BN ignores `trainable` and updates moving stats whenever `training` is true).
 */
export function pinInference(layer: object): void {
  const l = layer as Callable & { [PINNED]?: boolean };
  if (l[PINNED]) return;
  const original = l.call.bind(layer);
  const bn = asBatchNorm(layer);
  // Pinned BatchNorm is an affine map: computed as one, its gradient skips FusedBatchNorm's Tile-heavy one.
  l.call = (inputs, kwargs) => {
    const x = one(inputs);
    if (bn && lastAxis(bn, x.rank)) return affineBatchNorm(x, bn.movingMean.read(), bn.movingVariance.read(), bn.beta?.read() ?? null, bn.gamma?.read() ?? null, bn.epsilon);
    return original(inputs, { ...kwargs, training: false });
  };
  l[PINNED] = true;
}

/** True when `pinInference` pinned `layer`. */
export function isPinned(layer: object): boolean {
  return (layer as { [PINNED]?: boolean })[PINNED] === true;
}

/**
 * Gives every clipped ReLU layer (ReLU with maxValue, e.g. MobileNet's ReLU6) of `model` the
 * one-pass gradient of `clippedRelu`: same values and gradients, a fraction of the kernels.
 */
export function useFastActivations(model: LayersModel): void {
  for (const layer of model.layers) {
    const l = layer as unknown as Callable & { maxValue?: number; [FAST_RELU]?: boolean };
    if (l[FAST_RELU] || layer.getClassName() !== 'ReLU' || typeof l.maxValue !== 'number') continue;
    const hi = l.maxValue;
    l.call = (inputs) => clippedRelu(one(inputs), hi);
    l[FAST_RELU] = true;
  }
}

/** Pins every named layer of `model` that exists to inference mode. */
export function pinInferenceLayers(model: LayersModel, names: Iterable<string>): void {
  const present = new Set(model.layers.map((l) => l.name));
  for (const n of names) if (present.has(n)) pinInference(model.getLayer(n));
}

/**
 * Gives every dropout-like layer of `model` a fresh seed drawn from `rng` before a training
 * step, so masks differ between steps yet the run is reproducible (a fixed tfjs dropout seed
 * would repeat the same mask every step; no seed would not be reproducible).
 */
export function reseedStochastic(model: LayersModel, rng: Rng): void {
  for (const l of model.layers) {
    if (STOCHASTIC_LAYERS.has(l.getClassName())) (l as unknown as { seed?: number }).seed = rng.int(2 ** 31 - 1);
  }
}
