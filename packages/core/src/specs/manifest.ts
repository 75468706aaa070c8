import { z } from 'zod';
import { HeadSpecSchema } from './head.ts';
import { PreprocessSpecSchema } from './preprocess.ts';
import { ScheduleSpecSchema } from './schedule.ts';
import { DecisionSchema } from './decision.ts';

/** Where the base came from, told honestly (e.g. "nsfwjs 4.4.0: ImageNet-pretrained, fine-tuned by its authors"). */
export const BaseRecordSchema = z
  .object({
    id: z.string(),
    source: z.string(),
    provenance: z.string(),
    cut: z.string(),
    inputSize: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  })
  .strict();

/** `runs/<name>/headstart.json`: everything needed to reproduce, evaluate, export and serve a run. */
export const RunManifestSchema = z
  .object({
    format: z.literal('headstart-run@1'),
    name: z.string(),
    createdAt: z.string(),
    status: z.enum(['running', 'interrupted', 'complete']),
    base: BaseRecordSchema,
    preprocess: PreprocessSpecSchema,
    head: HeadSpecSchema,
    schedule: ScheduleSpecSchema,
    labels: z.array(z.string()).min(2),
    dataset: z
      .object({
        path: z.string(),
        fingerprint: z.string(),
        counts: z.object({ train: z.number().int(), val: z.number().int(), test: z.number().int() }).strict(),
      })
      .strict(),
    backend: z.string(),
    versions: z.record(z.string(), z.string()),
    /** What `train` decided and why (absent for runs that predate the measured recipe). */
    decision: DecisionSchema.optional(),
    /** Final metrics, e.g. { val_acc, val_loss, test_acc }. */
    metrics: z.record(z.string(), z.number()).default({}),
    /** Position for `--resume`: the last completed epoch of which phase. */
    progress: z
      .object({ phase: z.enum(['phase1', 'phase2', 'scratch', 'done']), epoch: z.number().int().nonnegative() })
      .strict()
      .optional(),
  })
  .strict();
export type RunManifest = z.infer<typeof RunManifestSchema>;
