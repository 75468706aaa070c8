/**
 * Repeated stratified k-fold cross-validation of a ridge probe on cached base features, with the
 * head's own transform (per-channel standardisation, then avg pooling or flatten), so a probe
 * measures what a trained head would see. The standardisation statistics come from all sample
 * images (no labels involved), as the head's come from all training images.
 */
import type { Rng } from '@headstart/core';
import { channelMoments } from '../train/standardize.ts';
import { argmax, gram, ridgeScores } from './ridge.ts';

/** Features of n images: row-major [n, ...shape] (shape [h, w, c] or [c]). */
export interface FeatureBlock {
  data: Float32Array;
  shape: number[];
}

/** How a probe pools standardised features: like the head's `avg` or `flatten` pooling. */
export type ProbePooling = 'avg' | 'flatten';

/** Ridge penalty relative to the mean squared norm of the training rows (1: features and penalty on one scale). */
export const PROBE_RIDGE = 1;

/** Fold id (0..k-1) per sample: each class's samples shuffled, then dealt round-robin. */
export function stratifiedFolds(labels: Int32Array, k: number, rng: Rng): Int32Array {
  const folds = new Int32Array(labels.length);
  const byClass = new Map<number, number[]>();
  labels.forEach((l, i) => byClass.set(l, [...(byClass.get(l) ?? []), i]));
  let offset = 0;
  for (const [c, idx] of [...byClass].sort((a, b) => a[0] - b[0])) {
    // Continue the deal across classes so small classes do not all land in fold 0.
    rng.fork(c + 1).shuffle(idx).forEach((i, j) => (folds[i] = (offset + j) % k));
    offset += idx.length;
  }
  return folds;
}

/** Flattened width of one row after pooling. */
export function pooledDim(shape: number[], pooling: ProbePooling): number {
  const channels = shape[shape.length - 1] ?? 1;
  return pooling === 'avg' ? channels : shape.reduce((a, b) => a * b, 1);
}

/** Standardises every row of `block` with (mean, variance) per channel and pools it (the head's transform). */
export function standardizePool(block: FeatureBlock, stats: { mean: Float32Array; variance: Float32Array }, pooling: ProbePooling, epsilon: number): Float32Array {
  const channels = block.shape[block.shape.length - 1] ?? 1;
  const per = block.shape.reduce((a, b) => a * b, 1);
  const rows = block.data.length / per;
  const positions = per / channels;
  const dim = pooledDim(block.shape, pooling);
  const out = new Float32Array(rows * dim);
  const inv = Float32Array.from(stats.variance, (v) => 1 / Math.sqrt(v + epsilon));
  for (let r = 0; r < rows; r++) {
    const src = block.data.subarray(r * per, (r + 1) * per);
    const dst = out.subarray(r * dim, (r + 1) * dim);
    for (let i = 0; i < per; i++) {
      const c = i % channels;
      const v = (src[i]! - stats.mean[c]!) * inv[c]!;
      if (pooling === 'avg') dst[c]! += v / positions;
      else dst[i] = v;
    }
  }
  return out;
}

/** Options of `crossValidate`. */
export interface CrossValidateOptions {
  pooling: ProbePooling;
  /** One fold assignment per repetition (see `stratifiedFolds`), each with ids 0..k-1. */
  folds: Int32Array[];
  k: number;
  classes: number;
  /** Extra training rows (e.g. an augmented pass, row i = augmented sample i): added to every training fold, never tested. */
  extra?: FeatureBlock;
  /** Variance floor, as in the head's standardisation layer. */
  epsilon: number;
  /** Ridge penalty (default PROBE_RIDGE). */
  lambda?: number;
}

/** What a repeated cross-validation measured, image by image. */
export interface CvOutcomes {
  /** Held-out accuracy over every fold of every repetition. */
  accuracy: number;
  /** Mean over samples of `perImageSqError`: the probe's held-out loss. */
  sqError: number;
  /** Per sample: the fraction of repetitions in which its held-out prediction was right (paired comparisons between probes use it). */
  perImage: Float64Array;
  /** Per sample, mean over repetitions: squared error of its held-out ridge scores against its centred one-hot target (the ridge's own loss). */
  perImageSqError: Float64Array;
  /** Held-out ridge scores of every sample, one [n, classes] row-major array per repetition (relative to the training class frequencies). */
  scores: Float32Array[];
}

/** Held-out outcomes over every fold of every repetition (each sample is tested once per repetition). */
export function crossValidateOutcomes(block: FeatureBlock, labels: Int32Array, o: CrossValidateOptions): CvOutcomes {
  const n = labels.length;
  const channels = block.shape[block.shape.length - 1] ?? 1;
  const stats = channelMoments(block.data, channels);
  const dim = pooledDim(block.shape, o.pooling);
  const own = standardizePool(block, stats, o.pooling, o.epsilon);
  const rows = o.extra ? 2 * n : n;
  const x = new Float32Array(rows * dim);
  x.set(own);
  if (o.extra) x.set(standardizePool(o.extra, stats, o.pooling, o.epsilon), n * dim);
  const k = gram(x, rows, dim);
  const allLabels = o.extra ? Int32Array.from([...labels, ...labels]) : labels;
  const perImage = new Float64Array(n);
  const perImageSqError = new Float64Array(n);
  const held = o.folds.map(() => new Float32Array(n * o.classes));
  const prior = new Float64Array(o.classes);
  labels.forEach((l) => (prior[l]! += 1 / n));
  const reps = o.folds.length;
  o.folds.forEach((folds, rep) => {
    for (let f = 0; f < o.k; f++) {
      const train: number[] = [];
      const test: number[] = [];
      folds.forEach((fold, i) => (fold === f ? test : train).push(i));
      if (o.extra) train.push(...train.map((i) => n + i));
      const scores = ridgeScores(k, rows, allLabels, o.classes, train, test, o.lambda ?? PROBE_RIDGE);
      test.forEach((i, r) => {
        const y = labels[i] as number;
        if (argmax(scores, r, o.classes) === y) perImage[i]! += 1 / reps;
        let sq = 0;
        for (let c = 0; c < o.classes; c++) sq += (scores[r * o.classes + c]! - ((c === y ? 1 : 0) - prior[c]!)) ** 2;
        perImageSqError[i]! += sq / reps;
        (held[rep] as Float32Array).set(scores.subarray(r * o.classes, (r + 1) * o.classes), i * o.classes);
      });
    }
  });
  const mean = (xs: Float64Array): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, n);
  return { accuracy: mean(perImage), sqError: mean(perImageSqError), perImage, perImageSqError, scores: held };
}

/** Held-out accuracy over every fold of every repetition (each sample is tested once per repetition). */
export function crossValidate(block: FeatureBlock, labels: Int32Array, o: CrossValidateOptions): number {
  return crossValidateOutcomes(block, labels, o).accuracy;
}
