import { createRng } from '@headstart/core';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../src/index.ts';
import { measureScratch, SCRATCH_PROBE_EPOCHS, scratchWins } from '../src/probe/scratch-probe.ts';
import type { Advice } from '../src/advise.ts';
import { scratchDecisionFor } from '../src/train/decision.ts';
import { judgeSplit } from '../src/train/run-phases.ts';
import { resolveSchedule } from '../src/train/schedule.ts';

describe('scratchWins (paired sign test)', () => {
  it('needs a margin of two standard errors of the disagreements, in scratch’s favour', () => {
    expect(scratchWins(4, 0)).toBe(true); // 4 ≥ 2·√4
    expect(scratchWins(3, 0)).toBe(false); // 3 < 2·√3
    expect(scratchWins(20, 8)).toBe(true); // 12 ≥ 2·√28 ≈ 10.6
    expect(scratchWins(18, 10)).toBe(false); // 8 < 10.6
    expect(scratchWins(0, 9)).toBe(false);
    expect(scratchWins(0, 0)).toBe(false);
  });
});

describe('measureScratch', () => {
  it('picks scratch when the pixels separate the classes and the base features carry nothing', async () => {
    await selectBackend('wasm');
    const rng = createRng(3);
    const perClass = 15;
    const labels = Int32Array.from({ length: 2 * perClass }, (_, i) => i % 2);
    // Class 0: dark images, class 1: bright ones (with noise); the "base features" are pure noise.
    const pixels = Array.from(labels, (l) => Uint8Array.from({ length: 8 * 8 * 3 }, () => (l === 0 ? 40 : 200) + rng.int(30)));
    const block = { data: Float32Array.from({ length: labels.length * 6 }, () => rng.next() - 0.5), shape: [6] };
    const r = await measureScratch({ sample: { pixels, labels, paths: pixels.map((_, i) => `img${i}`) }, sampleSize: [8, 8], block, pooling: 'avg', classes: 2, epsilon: 1e-3, seed: 5 });
    expect(r).toBeDefined();
    expect(r?.heldOut).toBe(10);
    expect(r?.trainImages).toBe(20);
    expect(r?.epochs).toBe(SCRATCH_PROBE_EPOCHS);
    expect(r?.scratch).toBeGreaterThanOrEqual(0.9);
    expect(r?.scratch).toBeGreaterThan(r?.transfer ?? 1);
    expect(r?.wins).toBe(true);
  }, 120_000);

  it('does not measure when a class has fewer than 3 images (no stratified third to hold out)', async () => {
    const labels = Int32Array.from([0, 0, 0, 1, 1]);
    const pixels = Array.from(labels, () => new Uint8Array(4 * 4 * 3));
    const block = { data: new Float32Array(labels.length * 2), shape: [2] };
    expect(await measureScratch({ sample: { pixels, labels, paths: pixels.map((_, i) => `img${i}`) }, sampleSize: [4, 4], block, pooling: 'avg', classes: 2, epsilon: 1e-3, seed: 1 })).toBeUndefined();
  });
});

describe('judgeSplit', () => {
  it('halves validation by class (disjoint, covering it) and refuses to halve too few images', () => {
    const labels = Int32Array.from({ length: 24 }, (_, i) => i % 3);
    const val = { pixels: Array.from(labels, (_, i) => Uint8Array.of(i)), labels, paths: Array.from(labels, (_, i) => `v${i}`) };
    const h = judgeSplit(val, 3, 42);
    expect(h).toBeDefined();
    const { select, judge } = h as NonNullable<typeof h>;
    expect([...select.paths, ...judge.paths].sort()).toEqual([...val.paths].sort());
    for (const c of [0, 1, 2]) {
      expect(select.labels.filter((l) => l === c).length).toBe(4);
      expect(judge.labels.filter((l) => l === c).length).toBe(4);
    }
    judge.paths.forEach((p, i) => expect(judge.labels[i]).toBe(Number(p.slice(1)) % 3));
    expect(judgeSplit({ ...val, labels: labels.slice(0, 11), pixels: val.pixels.slice(0, 11), paths: val.paths.slice(0, 11) }, 3, 42)).toBeUndefined();
  });
});

describe('scratchDecisionFor', () => {
  it('says scratch won, with both scores on the same held-out images, and where the headline comes from', () => {
    const scratchProbe = { size: 64, trainImages: 80, heldOut: 40, epochs: 8, scratch: 0.9, transfer: 0.6, scratchOnly: 14, transferOnly: 2, wins: true, seconds: 3 };
    const advice = { base: 'mobilenet_v2', probes: [{ cut: 'out_relu', pooling: 'avg', dim: 8, accuracy: 0.6 }], probeFolds: 5, probeImages: 120, scratchProbe } as unknown as Advice;
    const d = scratchDecisionFor({ advice, schedule: resolveSchedule({ mode: 'scratch', testSplit: 0.1 }), opts: { data: 'd', out: 'o' }, holdout: true });
    expect(d.recipe).toBe('measured');
    expect(d.lines[0]).toMatch(/^train from scratch: the small CNN at 64 px/);
    expect(d.lines[1]).toContain('scratch CNN 90.0% vs transfer probe 60.0% on the same 40 held-out images (14 right only by scratch, 2 only by transfer');
    expect(d.scores.slice(0, 2).map((x) => x.accuracy)).toEqual([0.9, 0.6]);
    expect(d.headline).toMatchObject({ metric: 'test_acc', split: 'test' });
    expect(d.flags).toContain('--mode transfer');
  });
});
