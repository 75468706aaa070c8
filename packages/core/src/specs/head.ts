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

/** The new classifier put on top of the cut base. Serialisable; `kind` selects the builder. */
export const HeadSpecSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('dense'),
      pooling: z.enum(['avg', 'max', 'flatten']).default('avg'),
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
      l2: z.number().min(0).default(0),
    })
    .strict(),
]);
export type HeadSpec = z.infer<typeof HeadSpecSchema>;
