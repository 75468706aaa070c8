/**
 * Temperature scaling (Guo et al. 2017): one scalar T divides every logit before the softmax,
 * fitted to minimise the negative log-likelihood of held-out labels. It never changes the
 * argmax, only how confident the probabilities are. Plus the expected calibration error and
 * the reliability-diagram bins it is computed from.
 */

/** Softmax of logits/T per row, in float64 for the fit. */
function scaledLogProbs(logits: ArrayLike<number>, row: number, classes: number, t: number, out: Float64Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < classes; c++) max = Math.max(max, (logits[row * classes + c] as number) / t);
  let sum = 0;
  for (let c = 0; c < classes; c++) sum += Math.exp((logits[row * classes + c] as number) / t - max);
  const lse = max + Math.log(sum);
  for (let c = 0; c < classes; c++) out[c] = (logits[row * classes + c] as number) / t - lse;
}

/** Mean negative log-likelihood of `labels` under softmax(logits / t); logits row-major [n, classes]. */
export function temperatureNll(logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number, t: number): number {
  const n = labels.length;
  const lp = new Float64Array(classes);
  let nll = 0;
  for (let i = 0; i < n; i++) {
    scaledLogProbs(logits, i, classes, t, lp);
    nll -= lp[labels[i] as number] as number;
  }
  return n > 0 ? nll / n : 0;
}

/** Search range of the temperature (log-spaced golden-section search). */
export const TEMPERATURE_RANGE: readonly [number, number] = [0.005, 200];

/**
 * The temperature minimising held-out NLL (golden-section search on log T, which is unimodal
 * in practice). Returns 1 for no data.
 * @example const t = fitTemperature(valLogits, valLabels, 10); // then softmax(logits / t)
 */
export function fitTemperature(logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number {
  if (labels.length === 0) return 1;
  if (logits.length !== labels.length * classes) throw new RangeError(`fitTemperature: ${logits.length} logits for ${labels.length} labels × ${classes} classes`);
  const f = (u: number): number => temperatureNll(logits, labels, classes, Math.exp(u));
  let a = Math.log(TEMPERATURE_RANGE[0]);
  let b = Math.log(TEMPERATURE_RANGE[1]);
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let it = 0; it < 60 && b - a > 1e-6; it++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  return Math.exp((a + b) / 2);
}

/** One bin of a reliability diagram: predictions whose confidence falls in [lo, hi). */
export interface ReliabilityBin {
  lo: number;
  hi: number;
  count: number;
  /** Mean top-1 probability in the bin (0 when empty). */
  confidence: number;
  /** Fraction of the bin's top-1 predictions that are right (0 when empty). */
  accuracy: number;
}

/** Calibration of a set of predictions: expected calibration error and its bins. */
export interface CalibrationSummary {
  /** Σ_bins (count/n)·|accuracy − confidence| (equal-width bins of top-1 confidence). */
  ece: number;
  bins: ReliabilityBin[];
}

/** Default number of equal-width confidence bins for ECE. */
export const ECE_BINS = 15;

/** ECE and reliability bins of row-major probabilities [n, classes] against `labels`. */
export function calibrationSummary(probs: ArrayLike<number>, labels: ArrayLike<number>, classes: number, binCount = ECE_BINS): CalibrationSummary {
  const bins: ReliabilityBin[] = Array.from({ length: binCount }, (_, b) => ({ lo: b / binCount, hi: (b + 1) / binCount, count: 0, confidence: 0, accuracy: 0 }));
  const n = labels.length;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if ((probs[i * classes + c] as number) > (probs[i * classes + best] as number)) best = c;
    const p = probs[i * classes + best] as number;
    const bin = bins[Math.min(binCount - 1, Math.floor(p * binCount))] as ReliabilityBin;
    bin.count += 1;
    bin.confidence += p;
    bin.accuracy += best === labels[i] ? 1 : 0;
  }
  let ece = 0;
  for (const bin of bins) {
    if (bin.count === 0) continue;
    bin.confidence /= bin.count;
    bin.accuracy /= bin.count;
    ece += (bin.count / n) * Math.abs(bin.accuracy - bin.confidence);
  }
  return { ece, bins };
}
