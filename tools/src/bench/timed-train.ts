/** Runs `train` while timing each stage from its events, and materialises Fashion-MNIST benchmark folders. */
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrainerEvent } from '@headstart/core';
import { train, type TrainOptions } from '@headstart/trainer';
import { materialize } from '../fashion-mnist/fashion-mnist.ts';

/** Wall time of each stage of one training run, in seconds. */
export interface StageTimes {
  /** Dataset check, split and decoding, model building (start of `train` → first cache/phase event). */
  prepare: number;
  /** Feature/boundary cache extraction per phase (0 when not cached). */
  cache: Record<string, number>;
  /** Fit loop per phase (training + validation each epoch). */
  fit: Record<string, number>;
  /** Training-only seconds of each epoch, per phase. */
  epochs: Record<string, number[]>;
  /** Batches per epoch, per phase. */
  batches: Record<string, number>;
  /** Final evaluation (test split). */
  evaluate: number;
  total: number;
}

/** Result of `timedTrain`. */
export interface TimedRun {
  runDir: string;
  accuracy: number;
  testCount: number;
  trainCount: number;
  valCount: number;
  backend: string;
  epochsRun: Record<string, number>;
  times: StageTimes;
}

/** Trains with `opts`, collecting stage times from the trainer's events; the run directory is kept. */
export async function timedTrain(opts: TrainOptions, log: (line: string) => void = () => undefined): Promise<TimedRun> {
  const t0 = performance.now();
  const now = (): number => (performance.now() - t0) / 1000;
  const times: StageTimes = { prepare: Number.NaN, cache: {}, fit: {}, epochs: {}, batches: {}, evaluate: Number.NaN, total: Number.NaN };
  const epochsRun: Record<string, number> = {};
  let start: Extract<TrainerEvent, { type: 'start' }> | undefined;
  let lastPhaseEnd = Number.NaN;
  let evalAt = Number.NaN;
  const onEvent = (e: TrainerEvent): void => {
    switch (e.type) {
      case 'start':
        start = e;
        break;
      case 'cache':
        if (e.stage === 'begin' && Number.isNaN(times.prepare)) times.prepare = now();
        if (e.stage === 'end') times.cache[e.phase] = e.seconds ?? 0;
        break;
      case 'phase-start':
        if (Number.isNaN(times.prepare)) times.prepare = now();
        log(`  ${e.phase}: ${e.epochs} epochs, lr ${e.learningRate}, ${e.trainableLayers} trainable / ${e.frozenLayers} frozen layers`);
        break;
      case 'epoch-start':
        times.batches[e.phase] = e.batches;
        break;
      case 'epoch-end':
        (times.epochs[e.phase] ??= []).push(e.seconds);
        break;
      case 'phase-end':
        times.fit[e.phase] = e.seconds;
        epochsRun[e.phase] = e.epochsRun;
        lastPhaseEnd = now();
        log(`  ${e.phase}: ${e.epochsRun} epochs in ${e.seconds.toFixed(1)} s`);
        break;
      case 'eval':
        evalAt = now();
        break;
      default:
        break;
    }
  };
  const result = await train(opts, onEvent as Parameters<typeof train>[1]);
  times.total = now();
  times.evaluate = evalAt - lastPhaseEnd;
  return {
    runDir: result.runDir,
    accuracy: result.report.accuracy,
    testCount: result.report.perClass.reduce((n, c) => n + c.support, 0),
    trainCount: start?.trainCount ?? 0,
    valCount: start?.valCount ?? 0,
    backend: start?.backend ?? 'unknown',
    epochsRun,
    times,
  };
}

/** Options of `fashionFolder`. */
export interface FashionFolderOptions {
  root: string;
  /** Training images per class (from the training split). */
  k: number;
  /** Test images per class (from the test split); 0 = no test folder. */
  testPerClass: number;
  classes: readonly number[];
  seed: number;
}

/**
 * Writes (once; reused when present) `<root>/train/<Class>/*.png` with `k` seeded training images
 * per class and `<root>/test/<Class>/*.png` with `testPerClass` test images per class.
 */
export async function fashionFolder(o: FashionFolderOptions): Promise<string> {
  const dir = join(o.root, `fm-c${o.classes.join('')}-k${o.k}-t${o.testPerClass}-s${o.seed}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  await rm(dir, { recursive: true, force: true });
  await materialize({ out: join(dir, 'train'), perClass: o.k, classes: o.classes, seed: o.seed, split: 'train' });
  if (o.testPerClass > 0) await materialize({ out: join(dir, 'test'), perClass: o.testPerClass, classes: o.classes, seed: 1000 + o.seed, split: 'test' });
  await writeFile(join(dir, '.complete'), '');
  return dir;
}
