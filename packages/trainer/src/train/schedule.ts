/** Merging a deep-partial user schedule over the defaults (core's DEFAULT_SCHEDULE), and the default head. */
import type { z } from 'zod';
import { DEFAULT_SCHEDULE, HeadSpecSchema, parseSpec, ScheduleSpecSchema, type HeadSpec, type ScheduleSpec } from '@headstart/core';

type ScheduleSpecInput = z.input<typeof ScheduleSpecSchema>;

/** Deep-partial input form of a ScheduleSpec (what users and the CLI pass); defaults fill the rest. */
export type ScheduleInput = {
  [K in keyof ScheduleSpecInput]?: NonNullable<ScheduleSpecInput[K]> extends unknown[]
    ? ScheduleSpecInput[K]
    : NonNullable<ScheduleSpecInput[K]> extends object
      ? Partial<NonNullable<ScheduleSpecInput[K]>> | Extract<ScheduleSpecInput[K], null>
      : ScheduleSpecInput[K];
};

export { DEFAULT_SCHEDULE };

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

/** Deep-merges schedule inputs left to right (later wins; unfreeze/augment replace whole). */
export function mergeSchedules(...inputs: (ScheduleInput | undefined)[]): ScheduleInput {
  return inputs.reduce<Record<string, unknown>>((acc, i) => merge(acc, (i ?? {}) as Record<string, unknown>), {}) as ScheduleInput;
}

/** The full schedule: defaults overlaid with `inputs` (left to right) and validated (SPEC_INVALID naming the field). */
export function resolveSchedule(...inputs: (ScheduleInput | undefined)[]): ScheduleSpec {
  return parseSpec(ScheduleSpecSchema, mergeSchedules(structuredClone(DEFAULT_SCHEDULE) as ScheduleInput, ...inputs), 'schedule');
}

/** The head spec, validated, defaulting to DEFAULT_HEAD. */
export function resolveHead(input: unknown): HeadSpec {
  return parseSpec(HeadSpecSchema, input ?? DEFAULT_HEAD, 'head');
}
