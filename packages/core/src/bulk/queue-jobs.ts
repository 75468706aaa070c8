import { z } from 'zod';
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

/** Queue job: compute frozen-base features for a chunk of training images. */
export const FeatureChunkJobSchema = z.object({
  kind: z.literal('features'),
  /** The feature extractor, as the trainer describes it (base, cut, input size, preprocessing): opaque here. */
  extractor: z.record(z.string(), z.unknown()),
  /** Hash of the extractor description (part of the job id). */
  extractorKey: z.string().min(1),
  files: z.array(z.string().min(1)).min(1),
});

/** Result of a {@link FeatureChunkJobSchema} job: `files.length × width` float32 values, base64, in order. */
export const FeatureChunkResultSchema = z.object({
  width: z.number().int().min(1),
  shape: z.array(z.number().int().min(1)),
  data: z.string(),
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

/** Defaults of bulk prediction (CLI flags and workers derive from these). */
export const BULK_DEFAULTS = {
  /** Files per queue job, and per local work unit. */
  chunkSize: 200,
  /** Images per onnxruntime run. */
  batchSize: 32,
  /** Classes per image in the output. */
  topK: 3,
} as const;
