import { describe, expect, it } from 'vitest';
import { ScheduleSpecSchema } from '../specs/schedule.ts';
import { MIN_HEAD_STEPS, SIMILAR_THRESHOLD, SMALL_PER_CLASS, adviseStrategy, headEpochsFor } from './advise.ts';

const small = 10 * (SMALL_PER_CLASS - 1); // for 10 classes
const large = 10 * SMALL_PER_CLASS;

describe('adviseStrategy four cases', () => {
  it('case 1: small + similar → head only, default cut', () => {
    const a = adviseStrategy({ trainCount: small, classes: 10, similarity: 0.9 });
    expect(a).toMatchObject({ case: 1, size: 'small', similar: true, cut: 'default' });
    const s = ScheduleSpecSchema.parse(a.schedule);
    expect(s.phase2.epochs).toBe(0);
    expect(s.phase2.unfreeze).toEqual({ kind: 'none' });
    expect(s.augment?.horizontalFlip).toBe(true);
    expect(a.reasons.join(' ')).toMatch(/case 1/);
  });
  it('case 2: large + similar → fine-tune the top quarter at 1e-5', () => {
    const a = adviseStrategy({ trainCount: large, classes: 10, similarity: SIMILAR_THRESHOLD, baseLayers: 104 });
    expect(a).toMatchObject({ case: 2, size: 'large', similar: true, cut: 'default' });
    const s = ScheduleSpecSchema.parse(a.schedule);
    expect(s.phase2.unfreeze).toEqual({ kind: 'top', n: 26 });
    expect(s.phase2.learningRate).toBe(1e-5);
    expect(s.phase2.epochs).toBeGreaterThan(0);
  });
  it('case 3: small + different → cut earlier, no fine-tuning', () => {
    const a = adviseStrategy({ trainCount: small, classes: 10, similarity: 0.2 });
    expect(a).toMatchObject({ case: 3, size: 'small', similar: false, cut: 'earlier' });
    expect(ScheduleSpecSchema.parse(a.schedule).phase2.epochs).toBe(0);
  });
  it('case 4: large + different → fine-tune everything', () => {
    const a = adviseStrategy({ trainCount: 50_000, classes: 10, similarity: 0.1 });
    expect(a).toMatchObject({ case: 4, size: 'large', similar: false, cut: 'default' });
    const s = ScheduleSpecSchema.parse(a.schedule);
    expect(s.phase2.unfreeze).toEqual({ kind: 'all' });
    expect(s.phase2.learningRate).toBeGreaterThan(1e-5);
  });
});

describe('adviseStrategy inputs', () => {
  it('without a similarity signal assumes similar and says so', () => {
    const a = adviseStrategy({ trainCount: 100, classes: 2 });
    expect(a.case).toBe(1);
    expect(a.reasons.join(' ')).toMatch(/no similarity signal/);
  });
  it('warns about tiny classes', () => {
    expect(adviseStrategy({ trainCount: 30, classes: 3, similarity: 0.8 }).reasons.join(' ')).toMatch(/fewer than 20 images per class/);
  });
  it('rejects nonsense', () => {
    expect(() => adviseStrategy({ trainCount: 10, classes: 1 })).toThrow(RangeError);
    expect(() => adviseStrategy({ trainCount: 10, classes: 2, similarity: 1.5 })).toThrow(RangeError);
    expect(() => adviseStrategy({ trainCount: -1, classes: 2 })).toThrow(RangeError);
  });
});

describe('head training length in the small cases', () => {
  it('gives tiny data sets enough optimizer steps, and large ones no fewer epochs than before', () => {
    // 80 images at batch 32 = 3 steps an epoch → 167 epochs ≥ 500 steps.
    expect(headEpochsFor(80, 25)).toBe(167);
    expect(headEpochsFor(80, 25) * Math.ceil(80 / 32)).toBeGreaterThanOrEqual(MIN_HEAD_STEPS);
    expect(headEpochsFor(5, 25)).toBe(200); // capped
    expect(headEpochsFor(100_000, 25)).toBe(25); // floor
    const tiny = adviseStrategy({ trainCount: 80, classes: 10, similarity: 0.2 });
    expect(tiny.case).toBe(3);
    expect(tiny.schedule.phase1.epochs).toBe(167);
    // 8 per class: a fixed budget, no early stopping or plateau reduction on a 2-per-class validation split.
    expect(tiny.schedule.phase1.earlyStopping).toBe(false);
    expect(tiny.schedule.phase1.reduceOnPlateau).toBe(false);
    expect(tiny.reasons.join(' ')).toMatch(/no early stopping/);
    const small = adviseStrategy({ trainCount: 500, classes: 10, similarity: 0.2 });
    expect(small.schedule.phase1.earlyStopping).toMatchObject({ patience: 10 });
    expect(tiny.reasons.some((r) => r.includes('--mode scratch'))).toBe(true);
    const similarTiny = adviseStrategy({ trainCount: 80, classes: 10, similarity: 0.9 });
    expect(similarTiny.reasons.some((r) => r.includes('--mode scratch'))).toBe(false);
  });
});
