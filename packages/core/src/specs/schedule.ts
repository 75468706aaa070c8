import { z } from 'zod';

/** Which layers phase 2 unfreezes: `top:N` (last N weighted layers of the base), `from:<layer>`, `all`, `none`. */
export const UnfreezePolicySchema = z.union([
  z.object({ kind: z.literal('top'), n: z.number().int().nonnegative() }).strict(),
  z.object({ kind: z.literal('from'), layer: z.string().min(1) }).strict(),
  z.object({ kind: z.literal('all') }).strict(),
  z.object({ kind: z.literal('none') }).strict(),
]);
export type UnfreezePolicy = z.infer<typeof UnfreezePolicySchema>;

/** Early-stopping patience (epochs) when a schedule gives none: the one definition. */
export const DEFAULT_EARLY_STOPPING_PATIENCE = 5;
/** Reduce-on-plateau patience (epochs), factor and floor when a schedule gives none. */
export const DEFAULT_PLATEAU = { patience: 3, factor: 0.5, minLr: 1e-6 } as const;

export const EarlyStoppingSchema = z
  .object({
    monitor: z.enum(['val_loss', 'val_acc']).default('val_loss'),
    patience: z.number().int().nonnegative().default(DEFAULT_EARLY_STOPPING_PATIENCE),
    minDelta: z.number().nonnegative().default(0),
    restoreBest: z.boolean().default(true),
  })
  .strict();

export const ReduceOnPlateauSchema = z
  .object({
    monitor: z.enum(['val_loss', 'val_acc']).default('val_loss'),
    factor: z.number().gt(0).lt(1).default(DEFAULT_PLATEAU.factor),
    patience: z.number().int().nonnegative().default(DEFAULT_PLATEAU.patience),
    minLr: z.number().nonnegative().default(DEFAULT_PLATEAU.minLr),
  })
  .strict();

export const PhaseSpecSchema = z
  .object({
    epochs: z.number().int().nonnegative(),
    learningRate: z.number().positive(),
    optimizer: z.enum(['adam', 'sgd', 'rmsprop']).default('adam'),
    batchSize: z.number().int().positive().default(32),
    /** `false` switches it off (the defaults have it on): e.g. a fixed step budget on tiny data, whose validation split is too small to judge. */
    earlyStopping: z.union([z.literal(false), EarlyStoppingSchema]).optional(),
    /** `false` switches it off. */
    reduceOnPlateau: z.union([z.literal(false), ReduceOnPlateauSchema]).optional(),
  })
  .strict();
export type PhaseSpec = z.infer<typeof PhaseSpecSchema>;

export const AugmentSpecSchema = z
  .object({
    horizontalFlip: z.boolean().default(false),
    verticalFlip: z.boolean().default(false),
    /** Degrees, uniform in [-r, r]. */
    rotation: z.number().min(0).max(180).default(0),
    /** Fraction, scale uniform in [1 - z, 1 + z]. */
    zoom: z.number().min(0).lt(1).default(0),
    /** Degrees. */
    shear: z.number().min(0).max(45).default(0),
    /** Fractions of width/height. */
    widthShift: z.number().min(0).lt(1).default(0),
    heightShift: z.number().min(0).lt(1).default(0),
    /** Multiplicative range [lo, hi], e.g. [0.8, 1.2]. */
    brightness: z.tuple([z.number().positive(), z.number().positive()]).optional(),
    /** Random-resized-crop: area fraction range and aspect-ratio range. */
    randomResizedCrop: z
      .object({ scale: z.tuple([z.number().gt(0), z.number().lte(1)]), ratio: z.tuple([z.number().gt(0), z.number().gt(0)]) })
      .strict()
      .optional(),
    fillMode: z.enum(['nearest', 'constant', 'reflect']).default('nearest'),
    /** Grey level used by fillMode 'constant' (Keras `cval`); default 0. */
    fillValue: z.number().int().min(0).max(255).optional(),
  })
  .strict();
export type AugmentSpec = z.infer<typeof AugmentSpecSchema>;

/** The whole training schedule, as data. Phase 1: head only, base frozen. Phase 2: fine-tune. */
export const ScheduleSpecSchema = z
  .object({
    mode: z.enum(['transfer', 'scratch']).default('transfer'),
    phase1: PhaseSpecSchema,
    phase2: PhaseSpecSchema.extend({ unfreeze: UnfreezePolicySchema }).strict(),
    /** Augmentation; null = explicitly off (`--augment none`: the measured plan must not turn it on). */
    augment: AugmentSpecSchema.nullable().optional(),
    /** Augmented passes cached in phase 1 when augmentation is on. */
    augmentedPasses: z.number().int().nonnegative().default(0),
    classWeights: z.union([z.literal('auto'), z.literal('none'), z.record(z.string(), z.number().positive())]).default('none'),
    valSplit: z.number().min(0).lt(1).default(0.2),
    testSplit: z.number().min(0).lt(1).default(0),
    seed: z.number().int().default(42),
  })
  .strict();
export type ScheduleSpec = z.infer<typeof ScheduleSpecSchema>;

/**
 * The fixed recipe (`--recipe keras`, and what any field the measurement does not decide falls
 * back to), tuned for a ~1000-image dataset on a 2-core CPU: phase 1 trains the head on cached
 * features (up to 40 epochs, early stopping and reduce-on-plateau with the schema's defaults),
 * phase 2 fine-tunes the top 20 weighted layers (MobileNetV2: blocks 14–16 and Conv_1) at 1e-5
 * (Keras guide) for 3 epochs on the boundary cache. Every callback field not set here takes
 * its schema default above: defined once.
 */
export const DEFAULT_SCHEDULE = {
  mode: 'transfer',
  phase1: { epochs: 40, learningRate: 1e-3, optimizer: 'adam', batchSize: 32, earlyStopping: {}, reduceOnPlateau: {} },
  phase2: { epochs: 3, learningRate: 1e-5, optimizer: 'adam', batchSize: 32, unfreeze: { kind: 'top', n: 20 }, earlyStopping: { patience: 2 } },
  augmentedPasses: 0,
  classWeights: 'auto',
  valSplit: 0.2,
  testSplit: 0,
  seed: 42,
} as const satisfies z.input<typeof ScheduleSpecSchema>;
