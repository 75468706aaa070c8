import { z } from 'zod';
import { HeadSpecSchema } from './head.ts';
import { PreprocessSpecSchema } from './preprocess.ts';
import { ScheduleSpecSchema } from './schedule.ts';
import { DecisionSchema } from './decision.ts';
import { UnknownRecordSchema } from '../math/unknown.ts';

/** Where the base came from, told honestly (e.g. "nsfwjs 4.4.0: ImageNet-pretrained, fine-tuned by its authors"). */
export const BaseRecordSchema = z
  .object({
    id: z.string(),
    source: z.string(),
    provenance: z.string(),
    cut: z.string(),
    inputSize: z.tuple([z.number().int().positive(), z.number().int().positive()]),
    /** Set when the base is a frozen ONNX model (`cut` is then a tensor name): what export composes with the head. */
    onnx: z
      .object({
        /** Absolute path of the .onnx file, and its sha256 when training read it (export refuses a changed file). */
        path: z.string(),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        /** Layout of its image input: channels at axis 1 (torchvision, timm) or 3 (TF exports). */
        layout: z.enum(['nchw', 'nhwc']),
        /** Shape of one image's features after the cut, NHWC ([h, w, c]) or flat ([c]), as the head sees them. */
        featureShape: z.array(z.number().int().positive()).min(1),
      })
      .strict()
      .optional(),
  })
  .strict();

/** One reliability-diagram bin (see core's `calibrationSummary`). */
export const ReliabilityBinSchema = z
  .object({ lo: z.number(), hi: z.number(), count: z.number().int().nonnegative(), confidence: z.number(), accuracy: z.number() })
  .strict();

/**
 * Temperature scaling fitted after training on held-out images (never the head's training
 * images): the validation and the test split together. The temperature is already folded into
 * the saved model (the output layer's weights divided by it), so every consumer of the model
 * returns calibrated probabilities. It never changes the top-1 label, so test accuracy stays an
 * honest number; the ECE reported here is cross-fitted (each half scaled by a temperature fitted
 * on the other half).
 */
export const CalibrationRecordSchema = z
  .object({
    temperature: z.number().positive(),
    /** The held-out images it was fitted and measured on: the validation split, plus the test split when there is one. */
    heldOut: z.enum(['val', 'test', 'val+test']),
    count: z.number().int().positive(),
    /** Expected calibration error before, and after (each half scaled by a temperature fitted on the other half). */
    eceBefore: z.number().nonnegative(),
    eceAfter: z.number().nonnegative(),
    binsBefore: z.array(ReliabilityBinSchema),
    binsAfter: z.array(ReliabilityBinSchema),
  })
  .strict();
export type CalibrationRecord = z.infer<typeof CalibrationRecordSchema>;

/** A TF.js backend Headstart trains on, fastest first (the order `--backend auto` tries). */
export const BackendNameSchema = z.enum(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
/** One of {@link BackendNameSchema}'s names; the manifest records the one a run trained on. */
export type BackendName = z.infer<typeof BackendNameSchema>;

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
    backend: BackendNameSchema,
    versions: z.record(z.string(), z.string()),
    /** What `train` decided and why (absent for runs that predate the measured recipe). */
    decision: DecisionSchema.optional(),
    /** Final metrics, e.g. { val_acc, val_loss, test_acc }. */
    metrics: z.record(z.string(), z.number()).default({}),
    /** Temperature scaling of the final model's probabilities (absent: not calibrated). */
    calibration: CalibrationRecordSchema.optional(),
    /** The "unknown" threshold every surface applies (absent: always the top label). */
    unknown: UnknownRecordSchema.optional(),
    /** Checksum of the trained weights (model/weights.bin) when the manifest was written: export and evaluation refuse weights changed since. */
    weights: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict().optional(),
    /** Position for `--resume`: the last completed epoch of which phase. */
    progress: z
      .object({ phase: z.enum(['phase1', 'phase2', 'scratch', 'done']), epoch: z.number().int().nonnegative() })
      .strict()
      .optional(),
  })
  .strict();
export type RunManifest = z.infer<typeof RunManifestSchema>;
