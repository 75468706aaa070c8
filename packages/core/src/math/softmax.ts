/** One ranked prediction. */
export interface TopKEntry {
  label: string;
  index: number;
  probability: number;
}

/**
 * Row-wise softmax of `logits` laid out as rows × `classes` (numerically stable: the row
 * maximum is subtracted first). Throws RangeError when the length is not a multiple of `classes`.
 */
export function softmax(logits: Float32Array | ArrayLike<number>, classes: number): Float32Array {
  if (!Number.isInteger(classes) || classes <= 0 || logits.length % classes !== 0) {
    throw new RangeError(`softmax: ${logits.length} logits is not a whole number of rows of ${classes} classes`);
  }
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length; r += classes) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[r + c] as number);
    let sum = 0;
    const exps = new Float64Array(classes);
    for (let c = 0; c < classes; c++) {
      const e = Math.exp((logits[r + c] as number) - max);
      exps[c] = e;
      sum += e;
    }
    for (let c = 0; c < classes; c++) out[r + c] = (exps[c] as number) / sum;
  }
  return out;
}

/**
 * The `k` most probable labels of one probability row, best first (ties: lower index first).
 * `k` is clamped to the number of labels; `probs.length` must equal `labels.length`.
 */
export function topK(probs: ArrayLike<number>, labels: string[], k: number): TopKEntry[] {
  if (probs.length !== labels.length) {
    throw new RangeError(`topK: ${probs.length} probabilities but ${labels.length} labels`);
  }
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`topK: k must be a non-negative integer, got ${k}`);
  const order = Array.from({ length: probs.length }, (_, i) => i);
  order.sort((a, b) => (probs[b] as number) - (probs[a] as number) || a - b);
  return order.slice(0, Math.min(k, order.length)).map((index) => ({
    label: labels[index] as string,
    index,
    probability: probs[index] as number,
  }));
}
