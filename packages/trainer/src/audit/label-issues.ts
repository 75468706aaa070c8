/**
 * Confident learning (Northcutt et al. 2021), the "confident joint" rule: a class j is a
 * confident candidate for an image when its out-of-fold probability reaches class j's own
 * threshold (the mean probability of j over images labelled j). An image is a suspected label
 * error when its most probable confident candidate is not its given label. Images are ranked by
 * the normalised margin p(given) − max p(other), most suspect (lowest) first.
 */

/** One image's verdict: its given label, the label the probe suggests and how sure it is. */
export interface LabelIssue {
  /** Index of the image in the scored set. */
  index: number;
  given: number;
  suggested: number;
  /** Out-of-fold probability of the given label. */
  givenProb: number;
  /** Out-of-fold probability of the suggested label. */
  suggestedProb: number;
  /** p(given) − max p(other): below 0 the probe prefers another label. */
  margin: number;
}

/** Per-class thresholds: the mean probability of class j over the images labelled j. */
export function classThresholds(probs: ArrayLike<number>, labels: ArrayLike<number>, classes: number): Float64Array {
  const sum = new Float64Array(classes);
  const count = new Float64Array(classes);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    sum[y]! += probs[i * classes + y] as number;
    count[y]! += 1;
  }
  return sum.map((s, c) => (count[c]! > 0 ? s / count[c]! : 1));
}

/** Suspected label errors of row-major out-of-fold probabilities [n, classes], most suspect first. */
export function findLabelIssues(probs: ArrayLike<number>, labels: ArrayLike<number>, classes: number): LabelIssue[] {
  const t = classThresholds(probs, labels, classes);
  const issues: LabelIssue[] = [];
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    const p = (c: number): number => probs[i * classes + c] as number;
    let confident = -1;
    let other = -1;
    for (let c = 0; c < classes; c++) {
      if (p(c) >= t[c]! && (confident < 0 || p(c) > p(confident))) confident = c;
      if (c !== y && (other < 0 || p(c) > p(other))) other = c;
    }
    if (confident < 0 || confident === y || other < 0) continue;
    issues.push({ index: i, given: y, suggested: confident, givenProb: p(y), suggestedProb: p(confident), margin: p(y) - p(other) });
  }
  return issues.sort((a, b) => a.margin - b.margin || a.index - b.index);
}
