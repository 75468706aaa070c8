/**
 * Out-of-fold ridge-probe scores: every image is scored by a probe trained on the other folds
 * (never on itself), the input of confident learning (label errors) and of held-out calibration.
 */
import { channelMoments } from '../train/standardize.ts';
import { tfc } from '../tf.ts';
import { PROBE_RIDGE, standardizePool, type FeatureBlock, type ProbePooling } from './cross-validate.ts';
import { ridgeScores } from './ridge.ts';

/** Standardised, pooled rows of a block ([n, dim], row-major) and their width. */
export function probeRows(block: FeatureBlock, pooling: ProbePooling, epsilon: number): { rows: Float32Array; dim: number } {
  const channels = block.shape[block.shape.length - 1] ?? 1;
  const rows = standardizePool(block, channelMoments(block.data, channels), pooling, epsilon);
  const per = block.shape.reduce((a, b) => a * b, 1);
  const n = per > 0 ? block.data.length / per : 0;
  return { rows, dim: n > 0 ? rows.length / n : 0 };
}

/** Gram matrix X·Xᵀ (float64, n×n) of n row-major rows, computed by a TF.js matMul (thousands of wide rows in seconds). */
export function gramTf(x: Float32Array, n: number, d: number): Float64Array {
  return crossGramTf(x, n, x, n, d);
}

/** Kernel A·Bᵀ (float64, na×nb, row-major) of na and nb row-major rows of d features, by a TF.js matMul. */
export function crossGramTf(a: Float32Array, na: number, b: Float32Array, nb: number, d: number): Float64Array {
  const ta = tfc.tensor2d(a, [na, d]);
  const tb = b === a ? ta : tfc.tensor2d(b, [nb, d]);
  const k = tfc.matMul(ta, tb, false, true);
  try {
    return Float64Array.from(k.dataSync());
  } finally {
    tfc.dispose(b === a ? [ta, k] : [ta, tb, k]);
  }
}

/** Options of `outOfFoldScores`. */
export interface OutOfFoldOptions {
  /** Fold id (0..k-1) per sample, see `stratifiedFolds`. */
  folds: Int32Array;
  k: number;
  classes: number;
  lambda?: number;
}

/** Ridge scores [n, classes] (row-major) of each sample from the probe trained without its fold; `gram` is over all n rows. */
export function outOfFoldScores(gram: Float64Array, labels: Int32Array, o: OutOfFoldOptions): Float32Array {
  const n = labels.length;
  const out = new Float32Array(n * o.classes);
  for (let f = 0; f < o.k; f++) {
    const train: number[] = [];
    const test: number[] = [];
    o.folds.forEach((fold, i) => (fold === f ? test : train).push(i));
    const scores = ridgeScores(gram, n, labels, o.classes, train, test, o.lambda ?? PROBE_RIDGE);
    test.forEach((i, r) => out.set(scores.subarray(r * o.classes, (r + 1) * o.classes), i * o.classes));
  }
  return out;
}
