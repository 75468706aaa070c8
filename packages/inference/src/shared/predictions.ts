import { decideLabel, type LabelDecision } from '@headstart/core';

/** One class with its probability. */
export interface Prediction {
  label: string;
  probability: number;
}

/** Top-k of row `row` of a count×C probability matrix, labelled, highest first (ties: lower index first). */
export function topPredictions(probs: ArrayLike<number>, labels: readonly string[], k: number, row = 0): Prediction[] {
  const classes = labels.length;
  const base = row * classes;
  const idx = Array.from({ length: classes }, (_, i) => i);
  idx.sort((a, b) => (probs[base + b] ?? 0) - (probs[base + a] ?? 0) || a - b);
  const n = Math.max(1, Math.min(Math.floor(k), classes));
  return idx.slice(0, n).map((i) => ({ label: labels[i] ?? String(i), probability: probs[base + i] ?? 0 }));
}

/** Clamps a requested top-k to [1, classes]; undefined → default (5, or all classes when fewer). */
export function resolveTopK(k: number | undefined, classes: number, fallback = 5): number {
  if (k === undefined || !Number.isFinite(k)) return Math.min(fallback, classes);
  return Math.max(1, Math.min(Math.floor(k), classes));
}

/**
 * The answer for one image from its top-k (highest first): the top label, or "unknown" when the
 * model's threshold (`headstart.unknown_below`) is set and the top probability is below it.
 */
export function answerOf(predictions: readonly Prediction[], unknownBelow: number | undefined): LabelDecision {
  const top = predictions[0];
  return top ? decideLabel(top.label, top.probability, unknownBelow) : { label: '', unknown: false };
}
