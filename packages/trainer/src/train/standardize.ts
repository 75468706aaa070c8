/** Adapts the head's standardisation layer to the training data: per-channel mean and variance of the base's features. */
import { HeadstartError, type PreprocessSpec } from '@headstart/core';
import type { ImageSplit } from '../data/prepare.ts';
import { extract, ImageSource } from '../data/sources.ts';
import { HEAD_STANDARDIZE } from '../model/head.ts';
import { tfc, type LayersModel, type SymbolicTensor } from '../tf.ts';
import { resolveFeatureEngine, type FeatureEngine } from './feature-engine.ts';

/** At most this many training images (evenly spaced) measure the statistics: plenty for per-channel moments. */
export const STANDARDIZE_SAMPLE = 512;

/** Per-channel mean and (population) variance over every axis but the last of row-major `data`. */
export function channelMoments(data: Float32Array, channels: number): { mean: Float32Array; variance: Float32Array } {
  if (channels < 1 || data.length % channels !== 0) throw new RangeError(`channelMoments: ${data.length} values are not a multiple of ${channels} channels`);
  const rows = data.length / channels;
  const sum = new Float64Array(channels);
  for (let i = 0; i < data.length; i++) sum[i % channels]! += data[i]!;
  const mean = sum.map((s) => s / Math.max(1, rows));
  const sq = new Float64Array(channels);
  for (let i = 0; i < data.length; i++) {
    const d = data[i]! - mean[i % channels]!;
    sq[i % channels]! += d * d;
  }
  return { mean: Float32Array.from(mean), variance: Float32Array.from(sq, (s) => s / Math.max(1, rows)) };
}

/** Evenly spaced indices 0..count-1, at most `max` of them. */
function spread(count: number, max: number): number[] {
  const n = Math.min(count, max);
  return Array.from({ length: n }, (_, i) => Math.floor((i * count) / n));
}

/**
 * Sets the moving mean and variance of `model`'s HEAD_STANDARDIZE layer (gamma 1, beta 0) from
 * the base features of up to STANDARDIZE_SAMPLE original (non-augmented) training images.
 * Deterministic for a given split. Returns the number of images measured (0: no such layer).
 */
export async function adaptStandardization(model: LayersModel, train: ImageSplit, preprocess: PreprocessSpec, engine: FeatureEngine): Promise<number> {
  const layer = model.layers.find((l) => l.name === HEAD_STANDARDIZE);
  if (!layer) return 0;
  if (train.labels.length === 0) throw new HeadstartError('DATASET_UNUSABLE', 'Cannot standardise the head: the training split is empty');
  const idx = spread(train.labels.length, STANDARDIZE_SAMPLE);
  const src = new ImageSource(
    idx.map((i) => train.pixels[i] as Uint8Array),
    Int32Array.from(idx, (i) => train.labels[i] as number),
    preprocess,
  );
  const input = layer.input as SymbolicTensor;
  const channels = input.shape[input.shape.length - 1] as number;
  const runner = await resolveFeatureEngine(model, [input], engine);
  let features: Float32Array;
  try {
    features = (await extract(src, runner.run)).data[0] ?? new Float32Array();
  } finally {
    await runner.dispose();
  }
  const { mean, variance } = channelMoments(features, channels);
  const values = [tfc.ones([channels]), tfc.zeros([channels]), tfc.tensor1d(mean), tfc.tensor1d(variance)];
  layer.setWeights(values);
  values.forEach((t) => t.dispose());
  return idx.length;
}
