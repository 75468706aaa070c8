/**
 * "Unknown": an optional confidence threshold below which every surface answers `unknown` instead
 * of the top label (the top label stays visible beside it). Set by hand (`--unknown-below 0.6`) or
 * chosen on held-out images to a target precision (`--unknown-precision 0.95`).
 */
import { z } from 'zod';

/** The label every surface answers when the top probability is below the model's threshold. */
export const UNKNOWN_LABEL = 'unknown';

/** A threshold: strictly between 0 and 1 (0 would never answer unknown, 1 always). */
export const UnknownThresholdSchema = z.number().gt(0).lt(1);

/** `unknown` in headstart.json: the threshold, and how it was chosen when chosen on held-out images. */
export const UnknownRecordSchema = z
  .object({
    /** Top-1 probability below which the answer is `unknown`. */
    below: UnknownThresholdSchema,
    /** Present when chosen to a target precision on held-out images. */
    chosen: z
      .object({
        /** The precision asked for (`--unknown-precision`). */
        target: z.number().gt(0).lte(1),
        /** Precision and coverage (share answered with a label) on the held-out images at `below`. */
        precision: z.number(),
        coverage: z.number(),
        /** Held-out images it was chosen on. */
        count: z.number().int().positive(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type UnknownRecord = z.infer<typeof UnknownRecordSchema>;

/** The answer for one image: its label, or `unknown` (then `top` still names the most likely class). */
export interface LabelDecision {
  /** The top label, or `unknown` when its probability is below the threshold. */
  label: string;
  unknown: boolean;
}

/** Decides the answer for an image whose most likely class is `top` with probability `p`. */
export function decideLabel(top: string, p: number, below: number | undefined): LabelDecision {
  const unknown = below !== undefined && p < below;
  return { label: unknown ? UNKNOWN_LABEL : top, unknown };
}

/**
 * The smallest threshold at which the predictions it keeps (top-1 probability ≥ threshold) reach
 * `target` precision on held-out probabilities (row-major [n, classes]); undefined when no
 * threshold reaches it. Coverage = share of images kept.
 * @example const t = thresholdForPrecision(valProbs, valLabels, 10, 0.95); // → { below: 0.71, … }
 */
export function thresholdForPrecision(probs: ArrayLike<number>, labels: ArrayLike<number>, classes: number, target: number): { below: number; precision: number; coverage: number } | undefined {
  const n = labels.length;
  const rows = Array.from({ length: n }, (_, i) => {
    let best = 0;
    for (let c = 1; c < classes; c++) if ((probs[i * classes + c] as number) > (probs[i * classes + best] as number)) best = c;
    return { p: probs[i * classes + best] as number, right: best === labels[i] };
  }).sort((a, b) => b.p - a.p);
  // Keep the k most confident; ties kept together (a threshold cannot split equal probabilities).
  let right = 0;
  let found: { below: number; precision: number; coverage: number } | undefined;
  for (let k = 1; k <= n; k++) {
    const row = rows[k - 1] as { p: number; right: boolean };
    right += row.right ? 1 : 0;
    if (k < n && (rows[k] as { p: number }).p === row.p) continue;
    if (right / k >= target && row.p > 0 && row.p < 1) found = { below: row.p, precision: right / k, coverage: k / n };
  }
  return found;
}
