import type { ClassMetrics, EvalReport } from './report-schema.ts';

/** Options of classificationReport. */
export interface ClassificationReportOptions {
  /** Which top-k accuracies to report (default [1, 5]; k above the class count is skipped). */
  topK?: number[];
  /** Sample paths, for the top-losses list. */
  paths?: string[];
  /** How many top losses to keep (default 10). */
  topLosses?: number;
}

/** Probabilities are clamped to this before taking the log, so a confident miss has a finite loss. */
const MIN_PROB = 1e-7;

/**
 * Evaluate predicted probabilities (n × C, row-major) against true class indices: accuracy,
 * top-k, confusion[actual][predicted], per-class precision/recall/F1 (0, not NaN, when a
 * class is never predicted or has no samples), macro and weighted F1, most confused pairs
 * and top losses. The predicted class is the arg-max (lowest index on ties).
 */
export function classificationReport(labels: string[], yTrue: ArrayLike<number>, probs: ArrayLike<number>, opts: ClassificationReportOptions = {}): EvalReport {
  const C = labels.length;
  const n = yTrue.length;
  if (C < 1) throw new RangeError('classificationReport: no labels');
  if (probs.length !== n * C) throw new RangeError(`classificationReport: probs has ${probs.length} values, expected ${n} samples × ${C} classes = ${n * C}`);
  if (opts.paths && opts.paths.length !== n) throw new RangeError(`classificationReport: ${opts.paths.length} paths for ${n} samples`);

  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  const ks = [...new Set(opts.topK ?? [1, 5])].filter((k) => Number.isInteger(k) && k >= 1 && k <= C).sort((a, b) => a - b);
  const topHits = new Map<number, number>(ks.map((k) => [k, 0]));
  const losses: EvalReport['topLosses'] = [];
  let correct = 0;

  for (let i = 0; i < n; i++) {
    const t = yTrue[i] as number;
    if (!Number.isInteger(t) || t < 0 || t >= C) throw new RangeError(`classificationReport: yTrue[${i}] = ${t} is not a class index in [0, ${C})`);
    const row = i * C;
    let pred = 0;
    for (let c = 1; c < C; c++) if ((probs[row + c] as number) > (probs[row + pred] as number)) pred = c;
    (confusion[t] as number[])[pred]! += 1;
    if (pred === t) correct++;
    // Rank of the true class: classes strictly more probable, plus equal ones with a lower index.
    const pt = probs[row + t] as number;
    let rank = 0;
    for (let c = 0; c < C; c++) {
      const p = probs[row + c] as number;
      if (p > pt || (p === pt && c < t)) rank++;
    }
    for (const k of ks) if (rank < k) topHits.set(k, (topHits.get(k) as number) + 1);
    losses.push({
      index: i,
      ...(opts.paths ? { path: opts.paths[i] as string } : {}),
      actual: labels[t] as string,
      predicted: labels[pred] as string,
      loss: -Math.log(Math.max(pt, MIN_PROB)),
      probability: pt,
      predictedProbability: probs[row + pred] as number,
    });
  }

  const perClass: ClassMetrics[] = labels.map((label, c) => {
    const tp = (confusion[c] as number[])[c] as number;
    const support = (confusion[c] as number[]).reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let a = 0; a < C; a++) predicted += (confusion[a] as number[])[c] as number;
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, precision, recall, f1, support };
  });

  const confusedPairs: EvalReport['confusedPairs'] = [];
  for (let a = 0; a < C; a++)
    for (let p = 0; p < C; p++) {
      const count = (confusion[a] as number[])[p] as number;
      if (a !== p && count > 0) confusedPairs.push({ actual: labels[a] as string, predicted: labels[p] as string, count });
    }
  // Stable sort: ties keep (actual, predicted) label-index order.
  confusedPairs.sort((x, y) => y.count - x.count);
  losses.sort((x, y) => y.loss - x.loss || x.index - y.index);

  const topK: Record<string, number> = {};
  for (const k of ks) topK[`top${k}`] = n === 0 ? 0 : (topHits.get(k) as number) / n;
  return {
    count: n,
    accuracy: n === 0 ? 0 : correct / n,
    topK,
    labels: [...labels],
    confusion,
    perClass,
    macroF1: perClass.reduce((s, m) => s + m.f1, 0) / C,
    weightedF1: n === 0 ? 0 : perClass.reduce((s, m) => s + m.f1 * m.support, 0) / n,
    confusedPairs,
    topLosses: losses.slice(0, opts.topLosses ?? 10),
  };
}
