/** Default schedule and head, and merging a deep-partial user schedule over them. */
import type { z } from 'zod';
import { HeadSpecSchema, parseSpec, ScheduleSpecSchema, type HeadSpec, type ScheduleSpec } from '@headstart/core';

type ScheduleSpecInput = z.input<typeof ScheduleSpecSchema>;

/** Deep-partial input form of a ScheduleSpec (what users and the CLI pass); defaults fill the rest. */
export type ScheduleInput = {
  [K in keyof ScheduleSpecInput]?: NonNullable<ScheduleSpecInput[K]> extends unknown[]
    ? ScheduleSpecInput[K]
    : NonNullable<ScheduleSpecInput[K]> extends object
      ? Partial<NonNullable<ScheduleSpecInput[K]>>
      : ScheduleSpecInput[K];
};

/**
 * Defaults tuned for a ~1000-image dataset on a 2-core CPU: phase 1 trains the head on
 * cached features (an epoch costs well under a second, so up to 40 with early stopping),
 * phase 2 fine-tunes the top 20 weighted layers (MobileNetV2: blocks 14–16 and Conv_1) at
 * 1e-5 (Keras guide) for 3 epochs on the boundary cache.
 */
export const DEFAULT_SCHEDULE = {
  mode: 'transfer',
  phase1: {
    epochs: 40,
    learningRate: 1e-3,
    optimizer: 'adam',
    batchSize: 32,
    earlyStopping: { monitor: 'val_loss', patience: 5, minDelta: 0, restoreBest: true },
    reduceOnPlateau: { monitor: 'val_loss', factor: 0.5, patience: 3, minLr: 1e-6 },
  },
  phase2: {
    epochs: 3,
    learningRate: 1e-5,
    optimizer: 'adam',
    batchSize: 32,
    unfreeze: { kind: 'top', n: 20 },
    earlyStopping: { monitor: 'val_loss', patience: 2, minDelta: 0, restoreBest: true },
  },
  augmentedPasses: 0,
  classWeights: 'auto',
  valSplit: 0.2,
  testSplit: 0,
  seed: 42,
} as const;

/** Default head: average pooling, dropout 0.2, softmax. */
export const DEFAULT_HEAD: HeadSpec = { kind: 'dense', pooling: 'avg', standardize: false, dropout: 0.2, blocks: [] };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    // Policies and augment specs replace rather than merge (their fields are alternatives).
    out[k] = isObject(v) && isObject(out[k]) && k !== 'unfreeze' && k !== 'augment' ? merge(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

/** The full schedule: defaults overlaid with `input` and validated (SPEC_INVALID naming the field). */
export function resolveSchedule(input: ScheduleInput | undefined): ScheduleSpec {
  return parseSpec(ScheduleSpecSchema, merge(structuredClone(DEFAULT_SCHEDULE) as unknown as Record<string, unknown>, (input ?? {}) as Record<string, unknown>), 'schedule');
}

/** The head spec, validated, defaulting to DEFAULT_HEAD. */
export function resolveHead(input: unknown): HeadSpec {
  return parseSpec(HeadSpecSchema, input ?? DEFAULT_HEAD, 'head');
}
