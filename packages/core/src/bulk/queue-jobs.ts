import { z } from 'zod';
import { PreprocessSpecSchema } from '../specs/preprocess.ts';
import { AugmentSpecSchema } from '../specs/schedule.ts';
import { PredictionRowSchema } from './prediction-row.ts';

/** Where a worker gets the model: a path it can read or an http(s) URL, checked against the hash. */
export const ModelRefSchema = z.object({
  source: z.string().min(1),
  /** `sha256:<hex>` of the model bytes; a worker refuses a model with another hash. */
  sha256: z.string().regex(/^sha256:[0-9a-f]{64}$/),
});

/** A model reference carried by queue jobs. */
export type ModelRef = z.infer<typeof ModelRefSchema>;

/** Queue job: classify a chunk of image files. */
export const PredictChunkJobSchema = z.object({
  kind: z.literal('predict'),
  model: ModelRefSchema,
  topK: z.number().int().min(1),
  files: z.array(z.string().min(1)).min(1),
});

/** Result of a {@link PredictChunkJobSchema} job: one row per file, in the job's order. */
export const PredictChunkResultSchema = z.object({ rows: z.array(PredictionRowSchema) });

/** A frozen prefix (base up to a cut or freeze boundary) as ONNX bytes that workers fetch from Redis by hash. */
export const PrefixRefSchema = z.object({
  /** `sha256:<hex>` of the ONNX bytes; a worker refuses bytes with another hash. */
  sha256: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  /** Shape of one sample's output (no batch axis). */
  shape: z.array(z.number().int().min(1)),
});

/** A {@link PrefixRefSchema}'s type. */
export type PrefixRef = z.infer<typeof PrefixRefSchema>;

/**
 * Queue job: run the frozen prefixes of a training run over a chunk of its images, for the
 * feature / boundary caches (`headstart train --queue`). It pins everything the result depends
 * on: the prefixes by hash, the preprocessing, the augmentation and the seed of every pass, and
 * the images themselves (decoded, resized RGB, as the trainer holds them).
 */
export const FeatureChunkJobSchema = z.object({
  kind: z.literal('features'),
  /** Requested outputs in order: a prefix (index into `prefixes`) or the preprocessed input itself. */
  outputs: z.array(z.union([z.object({ prefix: z.number().int().min(0) }), z.object({ input: z.literal(true) })])).min(1),
  prefixes: z.array(PrefixRefSchema),
  preprocess: PreprocessSpecSchema,
  /** Augmentation of passes ≥ 1 (absent: no augmentation, one pass). */
  augment: AugmentSpecSchema.optional(),
  /** Run seed; pass p ≥ 1 augments with createRng(seed).fork(passStreamBase + p), as the local cache does. */
  seed: z.number().int(),
  passStreamBase: z.number().int(),
  /** Passes to compute: 0 = original images, p ≥ 1 = augmented pass p. */
  passes: z.array(z.number().int().min(0)).min(1),
  /** Index of the chunk's first image in its split (a multiple of `batchSize`, so batches and seeds line up with a local run). */
  from: z.number().int().min(0),
  count: z.number().int().min(1),
  batchSize: z.number().int().min(1),
  /** `count × height × width × 3` RGB bytes, base64. */
  pixels: z.string(),
});

/** Result of a {@link FeatureChunkJobSchema} job: per pass (job order), per output (job order), `count × shape` float32 values, base64. */
export const FeatureChunkResultSchema = z.object({
  passes: z.array(z.array(z.object({ shape: z.array(z.number().int().min(1)), data: z.string() }))),
});

/** A queue job payload of either kind. */
export const ChunkJobSchema = z.discriminatedUnion('kind', [PredictChunkJobSchema, FeatureChunkJobSchema]);

/** {@link PredictChunkJobSchema}'s type. */
export type PredictChunkJob = z.infer<typeof PredictChunkJobSchema>;
/** {@link PredictChunkResultSchema}'s type. */
export type PredictChunkResult = z.infer<typeof PredictChunkResultSchema>;
/** {@link FeatureChunkJobSchema}'s type. */
export type FeatureChunkJob = z.infer<typeof FeatureChunkJobSchema>;
/** {@link FeatureChunkResultSchema}'s type. */
export type FeatureChunkResult = z.infer<typeof FeatureChunkResultSchema>;
/** {@link ChunkJobSchema}'s type. */
export type ChunkJob = z.infer<typeof ChunkJobSchema>;

/** Splits `items` into consecutive chunks of at most `size`. */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Defaults of bulk prediction and queued feature extraction (CLI flags and workers derive from these). */
export const BULK_DEFAULTS = {
  /** Files per queue job, and per local work unit. */
  chunkSize: 200,
  /** Images per onnxruntime run. */
  batchSize: 32,
  /** Files per task of a local bulk-predict thread (two batches: one decodes while the other runs; small, so no thread idles at the end). */
  threadChunkSize: 64,
  /** Classes per image in the output. */
  topK: 3,
  /** Training images per feature chunk job of `train --queue` (a multiple of the trainer's extraction batch, 32). */
  featureChunkSize: 64,
} as const;
