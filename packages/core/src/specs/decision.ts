import { z } from 'zod';

/** One measured score behind a decision: what was measured, its accuracy, and on which data. */
export const DecisionScoreSchema = z
  .object({
    name: z.string(),
    accuracy: z.number(),
    /** Where it was measured, e.g. "3x5-fold CV on 240 training images" or "val (60 images)". */
    on: z.string(),
  })
  .strict();
export type DecisionScore = z.infer<typeof DecisionScoreSchema>;

/**
 * What `headstart train` decided for a run and why: the recipe (`measured`: the advisor's
 * measurement; `keras`: the fixed recipe; `resumed`: rebuilt from the manifest), one line per
 * decision, the scores behind them, the flags that overrode or would override them, and which
 * split the headline accuracy comes from.
 */
export const DecisionSchema = z
  .object({
    recipe: z.enum(['measured', 'keras']),
    lines: z.array(z.string()),
    scores: z.array(DecisionScoreSchema).default([]),
    /** Flags the user gave that replaced a measured decision. */
    overridden: z.array(z.string()).default([]),
    /** Flags that would change the decision. */
    flags: z.array(z.string()).default([]),
    /** The split the headline accuracy is measured on, and why it is honest. */
    headline: z.object({ metric: z.string(), split: z.enum(['test', 'val']), note: z.string() }).strict().optional(),
    /** Phase 2's outcome when it ran: kept, or dropped for the phase-1 weights. */
    phase2: z
      .object({
        kept: z.boolean(),
        phase1ValAcc: z.number(),
        phase2ValAcc: z.number(),
        /** The images the two accuracies were measured on (validation images that chose no epoch, when there were enough). */
        judgedOn: z.string().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type Decision = z.infer<typeof DecisionSchema>;
