import { z } from 'zod';

/** Precision/recall/F1 of one class; `support` = number of true samples of it. */
export const ClassMetricsSchema = z.object({
  label: z.string(),
  precision: z.number(),
  recall: z.number(),
  f1: z.number(),
  support: z.number().int().nonnegative(),
});
export type ClassMetrics = z.infer<typeof ClassMetricsSchema>;

/** What an evaluation measured: which data, which split of it, how many images, which weights. */
export const EvalSourceSchema = z.object({
  /** Absolute path of the evaluated dataset. */
  data: z.string(),
  /** The split evaluated; `all` = every image of a dataset other than the run's own. */
  split: z.enum(['train', 'val', 'test', 'all']),
  /** Images evaluated (= `count`). */
  images: z.number().int().nonnegative(),
  /** sha256 of the evaluated weights (the run's model/weights.bin). */
  modelSha256: z.string(),
  /** When the evaluation ran (ISO 8601). */
  evaluatedAt: z.string(),
});
export type EvalSource = z.infer<typeof EvalSourceSchema>;

/** `report.json` of a run: the evaluation shared by trainer, CLI, API and web. */
export const EvalReportSchema = z.object({
  /** What was measured (absent in reports written before it was recorded). */
  source: EvalSourceSchema.optional(),
  /** Number of evaluated samples. */
  count: z.number().int().nonnegative(),
  accuracy: z.number(),
  /** Top-k accuracy keyed `top1`, `top5`, ... (only k ≤ number of classes). */
  topK: z.record(z.string(), z.number()),
  labels: z.array(z.string()),
  /** confusion[actual][predicted] counts. */
  confusion: z.array(z.array(z.number().int().nonnegative())),
  perClass: z.array(ClassMetricsSchema),
  macroF1: z.number(),
  /** Support-weighted mean F1. */
  weightedF1: z.number(),
  /** Off-diagonal confusion cells with a non-zero count, most frequent first. */
  confusedPairs: z.array(z.object({ actual: z.string(), predicted: z.string(), count: z.number().int().positive() })),
  /** Samples with the highest cross-entropy loss, worst first; `probability` is that of the actual class. */
  topLosses: z.array(
    z.object({
      index: z.number().int().nonnegative(),
      path: z.string().optional(),
      actual: z.string(),
      predicted: z.string(),
      loss: z.number(),
      probability: z.number(),
      predictedProbability: z.number(),
    }),
  ),
  /**
   * Expected calibration error (15 equal-width bins) of the evaluated probabilities; for a
   * temperature-scaled run also of the same model with its temperature taken out.
   */
  ece: z.object({ calibrated: z.number(), uncalibrated: z.number().optional(), temperature: z.number().optional() }).optional(),
  /** Test-time augmentation (`eval --tta`): views averaged per image, and what it changed against one view. */
  tta: z
    .object({
      views: z.number().int().positive(),
      accuracyWithout: z.number(),
      /** Wall seconds of the prediction with one view and with every view. */
      secondsWithout: z.number(),
      seconds: z.number(),
    })
    .optional(),
});
export type EvalReport = z.infer<typeof EvalReportSchema>;
