import type { z } from 'zod';
import type { ScheduleSpecSchema } from '../specs/schedule.ts';

/** A schedule as accepted by ScheduleSpecSchema (defaults not yet filled in). */
export type ScheduleSpecInput = z.input<typeof ScheduleSpecSchema>;

/** What the advisor needs to know about the target task. */
export interface StrategyInput {
  /** Training images available (after the validation/test split). */
  trainCount: number;
  classes: number;
  /**
   * How close the target is to the base's source domain, 0..1 — e.g. linear-probe accuracy on
   * frozen features normalised against chance: (acc - 1/C) / (1 - 1/C). Unknown → assumed similar.
   */
  similarity?: number;
  /** Number of weighted layers in the base, to size `top:N` (default assumption: 50). */
  baseLayers?: number;
}

/** The advisor's proposal: which of the four cases, a schedule, where to cut, and why. */
export interface StrategyAdvice {
  /** 1 small+similar, 2 large+similar, 3 small+different, 4 large+different. */
  case: 1 | 2 | 3 | 4;
  size: 'small' | 'large';
  similar: boolean;
  schedule: ScheduleSpecInput;
  /** `earlier`: cut the base below its default cut (more generic features). */
  cut: 'default' | 'earlier';
  reasons: string[];
}

/**
 * Below this many training images per class the target set is "small": fine-tuning a deep
 * base on a few hundred images per class overfits readily (CS231n transfer-learning notes;
 * Yosinski et al. 2014); above it the base can be adapted.
 */
export const SMALL_PER_CLASS = 300;
/** At or above this similarity the target counts as "similar" to the source domain. */
export const SIMILAR_THRESHOLD = 0.6;
/** Below this many images per class, warn that any result will be fragile. */
export const TINY_PER_CLASS = 20;
/** Fraction of the base's weighted layers unfrozen in case 2 (similar data: adapt only the top). */
export const CASE2_UNFREEZE_FRACTION = 0.25;
/** Fine-tuning learning rate with Adam for a similar domain (Keras transfer-learning guide). */
export const FINE_TUNE_LR = 1e-5;
/** Fine-tuning learning rate for a different domain with plenty of data (more of the base must move). */
export const DEEP_FINE_TUNE_LR = 1e-4;
/** Head-training learning rate (phase 1). */
export const HEAD_LR = 1e-3;
/**
 * Optimizer steps a new head gets at least in the small cases. A fixed epoch count starves tiny
 * data sets (10 images per class at batch 32 is 3 steps an epoch): measured on Fashion-MNIST k=10,
 * 25 epochs gave 32 % where the same head trained ~500 steps gave 63 % (docs/benchmarks.md). With
 * cached base features those steps cost seconds.
 */
export const MIN_HEAD_STEPS = 500;
/** Early-stopping patience while training a head on few images (validation is noisy there). */
export const SMALL_HEAD_PATIENCE = 10;
/** The augmentation proposed for small data sets (the trainer's advisor keeps it only when a probe says it helps). */
export const LIGHT_AUGMENT = { horizontalFlip: true, rotation: 10, zoom: 0.1, widthShift: 0.1, heightShift: 0.1 } as const;
/** Below this similarity and TINY_PER_CLASS, a small CNN from scratch is worth comparing. */
export const SCRATCH_HINT_SIMILARITY = 0.4;

/** Phase-1 epochs giving a head at least MIN_HEAD_STEPS steps, between `floor` and 200. */
export function headEpochsFor(trainCount: number, floor: number, batchSize = 32): number {
  const perEpoch = Math.max(1, Math.ceil(trainCount / batchSize));
  return Math.min(200, Math.max(floor, Math.ceil(MIN_HEAD_STEPS / perEpoch)));
}

/**
 * Propose a transfer-learning strategy from the classic four cases (small/large target data ×
 * similar/different to the source): 1 → train only a new head; 2 → also fine-tune the top of
 * the base at a low rate; 3 → cut the base earlier and train a head on the more generic
 * features, no fine-tuning; 4 → fine-tune the whole base. Thresholds are the exported constants.
 */
export function adviseStrategy(input: StrategyInput): StrategyAdvice {
  const { trainCount, classes } = input;
  if (!Number.isInteger(classes) || classes < 2) throw new RangeError(`adviseStrategy: need at least 2 classes, got ${classes}`);
  if (!Number.isInteger(trainCount) || trainCount < 0) throw new RangeError(`adviseStrategy: trainCount must be a non-negative integer, got ${trainCount}`);
  if (input.similarity !== undefined && !(input.similarity >= 0 && input.similarity <= 1)) {
    throw new RangeError(`adviseStrategy: similarity must be in [0, 1], got ${input.similarity}`);
  }
  const perClass = trainCount / classes;
  const size = perClass < SMALL_PER_CLASS ? 'small' : 'large';
  const similar = input.similarity === undefined || input.similarity >= SIMILAR_THRESHOLD;
  const baseLayers = input.baseLayers ?? 50;
  const reasons: string[] = [];
  reasons.push(
    `${trainCount} training images for ${classes} classes (${perClass.toFixed(1)} per class) is ${size} ` +
      `(threshold ${SMALL_PER_CLASS} per class)`,
  );
  reasons.push(
    input.similarity === undefined
      ? 'no similarity signal given; assuming the target resembles the base’s source domain'
      : `similarity ${input.similarity.toFixed(2)} is ${similar ? 'at or above' : 'below'} ${SIMILAR_THRESHOLD}: the target looks ${similar ? 'similar to' : 'different from'} the source domain`,
  );
  if (perClass < TINY_PER_CLASS) reasons.push(`fewer than ${TINY_PER_CLASS} images per class: expect noisy validation numbers; collect more data if you can`);

  // Patience and plateau settings not given here take the schedule schema's defaults (defined once).
  const earlyStopping = { monitor: 'val_loss' as const };
  const head = (epochs: number) => ({ epochs, learningRate: HEAD_LR, earlyStopping });
  const tiny = perClass < TINY_PER_CLASS;
  // Under TINY_PER_CLASS the validation split holds a handful of images per class: its loss is too
  // noisy to stop on (measured on Fashion-MNIST k=10: stopping early cost 2 points), so the head
  // trains its full step budget instead.
  const smallHead = (floor: number) => ({
    epochs: headEpochsFor(trainCount, floor),
    learningRate: HEAD_LR,
    ...(tiny
      ? { earlyStopping: false as const, reduceOnPlateau: false as const }
      : { earlyStopping: { monitor: 'val_loss' as const, patience: SMALL_HEAD_PATIENCE } }),
  });
  const noFineTune = { epochs: 0, learningRate: FINE_TUNE_LR, unfreeze: { kind: 'none' as const } };

  let kase: StrategyAdvice['case'];
  let schedule: ScheduleSpecInput;
  let cut: StrategyAdvice['cut'] = 'default';
  if (size === 'small' && similar) {
    kase = 1;
    schedule = { phase1: smallHead(20), phase2: noFineTune, augment: LIGHT_AUGMENT };
    reasons.push('case 1 (small, similar): the base’s top features already fit; train only a new head on them — fine-tuning would overfit');
  } else if (size === 'large' && similar) {
    kase = 2;
    const n = Math.max(1, Math.round(baseLayers * CASE2_UNFREEZE_FRACTION));
    schedule = {
      phase1: head(10),
      phase2: { epochs: 10, learningRate: FINE_TUNE_LR, unfreeze: { kind: 'top', n }, earlyStopping, reduceOnPlateau: {} },
    };
    reasons.push(`case 2 (large, similar): enough data to adapt the top of the base; fine-tune the last ${n} weighted layers at ${FINE_TUNE_LR} after training the head`);
  } else if (size === 'small') {
    kase = 3;
    cut = 'earlier';
    schedule = { phase1: smallHead(25), phase2: noFineTune, augment: LIGHT_AUGMENT };
    reasons.push('case 3 (small, different): the base’s top features are too source-specific and the data too few to fine-tune; an earlier cut gives more generic features — train a head there');
  } else {
    kase = 4;
    schedule = {
      phase1: head(5),
      phase2: { epochs: 20, learningRate: DEEP_FINE_TUNE_LR, unfreeze: { kind: 'all' }, earlyStopping: { monitor: 'val_loss', patience: 4 }, reduceOnPlateau: {} },
    };
    reasons.push(`case 4 (large, different): enough data to re-train the whole base; pretrained weights are a better start than random — fine-tune everything at ${DEEP_FINE_TUNE_LR}`);
  }
  if (size === 'small') {
    reasons.push(
      tiny
        ? `the head trains for ${schedule.phase1.epochs} epochs (at least ${MIN_HEAD_STEPS} optimizer steps), no early stopping: a validation split this small is too noisy to stop on — cheap on cached features`
        : `the head trains for up to ${schedule.phase1.epochs} epochs (at least ${MIN_HEAD_STEPS} optimizer steps; early stopping, patience ${SMALL_HEAD_PATIENCE}) — cheap on cached features`,
    );
  }
  if (perClass < TINY_PER_CLASS && input.similarity !== undefined && input.similarity < SCRATCH_HINT_SIMILARITY) {
    reasons.push(
      `with under ${TINY_PER_CLASS} images per class this far from the source (similarity below ${SCRATCH_HINT_SIMILARITY}), a small CNN from scratch ` +
        '(`--mode scratch`) is a serious competitor: on Fashion-MNIST at 10 per class it beat the advised transfer on one of three subsets (docs/benchmarks.md) — train both and compare',
    );
  }
  return { case: kase, size, similar, schedule, cut, reasons };
}
