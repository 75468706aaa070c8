import { z } from 'zod';

export const ActivationSchema = z.enum(['relu', 'relu6', 'elu', 'selu', 'swish', 'tanh', 'sigmoid', 'linear', 'gelu']);

export const DenseBlockSchema = z
  .object({
    units: z.number().int().positive(),
    activation: ActivationSchema.default('relu'),
    dropout: z.number().min(0).lt(1).default(0),
    batchNorm: z.boolean().default(false),
  })
  .strict();
export type DenseBlock = z.infer<typeof DenseBlockSchema>;

/**
 * Normalise each channel of the base's features with the mean and variance measured on the
 * training images before phase 1, then frozen (a Keras `Normalization` layer adapted to the data).
 * Matters for cuts inside a base, whose activations (linear bottlenecks, residual sums) are not
 * bounded and differ in scale by orders of magnitude between channels; measured on Fashion-MNIST
 * k=10 (docs/benchmarks.md). Needs a pretrained base: not available in scratch mode.
 */
const StandardizeSchema = z.boolean().default(false);

/** The new classifier put on top of the cut base. Serialisable; `kind` selects the builder. */
export const HeadSpecSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('dense'),
      pooling: z.enum(['avg', 'max', 'flatten']).default('avg'),
      standardize: StandardizeSchema,
      /** Dropout applied right after pooling. */
      dropout: z.number().min(0).lt(1).default(0.2),
      blocks: z.array(DenseBlockSchema).default([]),
    })
    .strict(),
  z
    .object({
      /** Plain multinomial logistic regression on pooled features (L2 optional). */
      kind: z.literal('logistic'),
      pooling: z.enum(['avg', 'max', 'flatten']).default('avg'),
      standardize: StandardizeSchema,
      l2: z.number().min(0).default(0),
    })
    .strict(),
]);
export type HeadSpec = z.infer<typeof HeadSpecSchema>;
