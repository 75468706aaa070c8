/** Per-layer training-mode controls tfjs-layers lacks: BatchNorm pinned to inference, reseeded dropout. */
import type { Rng } from '@headstart/core';
import type { LayersModel } from '../tf.ts';
import { STOCHASTIC_LAYERS } from './graph.ts';

type Callable = { call: (inputs: unknown, kwargs: Record<string, unknown>) => unknown };
const PINNED = Symbol('headstart.bnInference');

/**
 * Pins a layer to inference mode: its `call` always receives `training: false`, so a
 * BatchNormalization layer normalises with its moving statistics and never updates them
 * (tfjs-layers BN ignores `trainable` and updates moving stats whenever `training` is true).
 */
export function pinInference(layer: object): void {
  const l = layer as Callable & { [PINNED]?: boolean };
  if (l[PINNED]) return;
  const original = l.call.bind(layer);
  l.call = (inputs, kwargs) => original(inputs, { ...kwargs, training: false });
  l[PINNED] = true;
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
