/** One phase of a run: freeze plan, BN pinning, caching at the freeze boundary, the fit loop, checkpoints. */
import { HeadstartError, planFreeze, type EventSink, type FreezePlan, type PhaseName, type PhaseSpec, type PreprocessSpec, type Rng, type ScheduleSpec } from '@headstart/core';
import type { BackendName } from '../backend/select-backend.ts';
import type { BaseLayer } from '../bases/load-base.ts';
import type { PreparedData } from '../data/prepare.ts';
import { CachedSource, extract, ImageSource, type AugmentFn } from '../data/sources.ts';
import { splitModel, STOCHASTIC_LAYERS, type SplitModel } from '../model/graph.ts';
import { HEAD_PREFIX, HEAD_STANDARDIZE } from '../model/head.ts';
import { pinInferenceLayers } from '../model/modes.ts';
import { stableWeights } from '../model/weights.ts';
import { saveCheckpoint } from '../run/checkpoint.ts';
import { tfl, type LayersModel } from '../tf.ts';
import { resolveFeatureEngine, type FeatureEngine, type PrefixRunner } from './feature-engine.ts';
import { imageStageOf } from './image-stage.ts';
import { AUGMENTED_PASS_STREAM, gatherQueuedCaches, type FeatureQueue } from './queued-caches.ts';
import { fitPhase, type BatchSource, type EpochRecord, type FitPhaseResult, type PhaseState } from './fit-loop.ts';
import { optimizerState, type NamedTensors } from './optimizer.ts';

/** Everything a phase needs from its run. */
export interface PhaseContext {
  runDir: string;
  model: LayersModel;
  baseLayers: BaseLayer[];
  schedule: ScheduleSpec;
  data: PreparedData;
  preprocess: PreprocessSpec;
  classes: number;
  classWeights?: number[];
  l2: number;
  augment?: AugmentFn;
  cache: boolean;
  /** Engine computing the caches (default 'auto'). */
  featureEngine?: FeatureEngine;
  /** Told which engine computed a cache (and why TF.js when 'auto' fell back). */
  onFeatureEngine?: (engine: 'onnxruntime' | 'tfjs', fallbackReason?: string) => void;
  rng: Rng;
  onEvent: EventSink;
  signal?: AbortSignal;
  history: EpochRecord[];
  /** The phase after this one and its trainable base layers (to cache its boundary in the same pass). */
  nextPhase?: { phase: PhaseName; trainableBase: Set<string> };
  /** Phase 2's freeze plan under the schedule's unfreeze policy, planned once per run. */
  freeze?: FreezePlan;
  /** Caches computed ahead for a later phase. */
  prefetched?: { phase: PhaseName; cache: CachedSplit };
  onProgress: (phase: PhaseName, epoch: number) => Promise<void>;
  /** Queue workers computing the caches (`train --queue`); absent: computed here. */
  featureQueue?: FeatureQueue;
  /** Data-parallel step workers of the fit loop (none: every step on this thread). */
  parallel?: { workers: number; backend: BackendName };
}

const PHASE_STREAM: Record<PhaseName, number> = { phase1: 11, phase2: 12, scratch: 13 };

/** Weighted head layers (trainable in every phase). */
function headWeighted(model: LayersModel): string[] {
  return model.layers.filter((l) => l.name.startsWith(HEAD_PREFIX) && l.weights.length > 0).map((l) => l.name);
}

/**
 * Sets `trainable` on every layer for a phase; returns the trainable base layer names and BN layers to pin.
 * `freeze` is phase 2's plan when the caller already has it (computed once per run), else it is planned here.
 */
export function applyFreeze(model: LayersModel, baseLayers: BaseLayer[], phase: PhaseName, schedule: ScheduleSpec, freeze?: FreezePlan): { trainable: Set<string>; pin: Set<string> } {
  const baseNames = new Set(baseLayers.map((l) => l.name));
  let trainableBase = new Set<string>();
  let pin = new Set<string>(baseLayers.filter((l) => l.className.startsWith('BatchNormalization')).map((l) => l.name));
  if (phase === 'phase2') {
    const plan = freeze ?? planFreeze(baseLayers, schedule.phase2.unfreeze);
    trainableBase = plan.trainable;
    pin = new Set([...pin, ...plan.bnInference]);
  } else if (phase === 'scratch') {
    trainableBase = baseNames;
    pin = new Set();
  }
  for (const l of model.layers) {
    if (l.getClassName() === 'InputLayer') continue;
    // The head's standardisation is measured once, never trained.
    l.trainable = baseNames.has(l.name) ? trainableBase.has(l.name) : l.name !== HEAD_STANDARDIZE;
  }
  pin.add(HEAD_STANDARDIZE);
  pinInferenceLayers(model, pin);
  return { trainable: new Set(model.layers.filter((l) => l.trainable && l.weights.length > 0).map((l) => l.name)), pin };
}

function phaseSpec(schedule: ScheduleSpec, phase: PhaseName): PhaseSpec {
  return phase === 'phase2' ? schedule.phase2 : schedule.phase1;
}

/** Cached train/val sources of one split model. */
interface CachedSplit {
  split: SplitModel;
  train: CachedSource;
  val?: CachedSource;
}

/** Seeds of a phase's top: trainable weighted layers plus every stochastic layer. */
function topSeeds(model: LayersModel, trainable: Iterable<string>): Set<string> {
  return new Set([...trainable, ...model.layers.filter((l) => STOCHASTIC_LAYERS.has(l.getClassName())).map((l) => l.name)]);
}

/**
 * Runs the frozen prefixes of several splits in one pass over the images (original plus
 * `augmentedPasses` augmented passes for training; original for validation) and caches
 * every boundary activation.
 */
async function buildCaches(ctx: PhaseContext, phase: PhaseName, splits: SplitModel[]): Promise<CachedSplit[]> {
  const { data, schedule, model } = ctx;
  const passes = ctx.augment ? schedule.augmentedPasses : 0;
  const outputs = splits.flatMap((s) => (s.prefix ? s.prefix.outputs : [model.inputs[0] as tfl.SymbolicTensor]));
  const counts = splits.map((s) => (s.prefix ? s.prefix.outputs.length : 1));
  if (ctx.featureQueue) {
    const stage = imageStageOf(model);
    if (stage) throw new HeadstartError('USAGE', `--queue: ${stage.label} runs before the TF.js model, and queue workers do not run it yet; train without --queue`);
    const g = await gatherQueuedCaches({
      queue: ctx.featureQueue,
      runDir: ctx.runDir,
      phase,
      model,
      outputs,
      preprocess: ctx.preprocess,
      // The run's rng is createRng(schedule.seed) and its augment function is core's augment over schedule.augment.
      ...(ctx.augment && schedule.augment ? { augment: schedule.augment } : {}),
      seed: schedule.seed,
      passes,
      train: data.train.pixels,
      val: data.val.pixels,
      onEvent: ctx.onEvent,
    });
    ctx.onFeatureEngine?.('onnxruntime');
    return assemble(ctx, splits, counts, g.train, g.shapes, g.val);
  }
  const trainImages = new ImageSource(data.train.pixels, data.train.labels, ctx.preprocess, ctx.augment);
  const valImages = new ImageSource(data.val.pixels, data.val.labels, ctx.preprocess);
  const engine = await resolveFeatureEngine(model, outputs, ctx.featureEngine ?? 'auto');
  ctx.onFeatureEngine?.(engine.engine, engine.fallbackReason);
  try {
    return await cacheWith(ctx, phase, splits, engine.run, counts, { trainImages, valImages, passes });
  } finally {
    await engine.dispose();
  }
}

async function cacheWith(
  ctx: PhaseContext,
  phase: PhaseName,
  splits: SplitModel[],
  run: PrefixRunner,
  counts: number[],
  src: { trainImages: ImageSource; valImages: ImageSource; passes: number },
): Promise<CachedSplit[]> {
  const { onEvent } = ctx;
  const { trainImages, valImages, passes } = src;
  const total = trainImages.count * (1 + passes) + valImages.count;
  const t0 = Date.now();
  let done = 0;
  onEvent({ type: 'cache', phase, stage: 'begin', done: 0, total });
  const progress = (base: number) => (n: number): void => {
    done = base + n;
    onEvent({ type: 'cache', phase, stage: 'progress', done, total });
  };
  const trainPasses: Float32Array[][] = [];
  let shapes: number[][] = [];
  for (let p = 0; p <= passes; p++) {
    // Augmented pass p uses the same stream in every phase, so a resumed phase 2 sees the same passes.
    const r = await extract(trainImages, run, { ...(p > 0 ? { rng: ctx.rng.fork(AUGMENTED_PASS_STREAM + p) } : {}), onProgress: progress(done) });
    trainPasses.push(r.data);
    shapes = r.shapes;
  }
  const v = valImages.count > 0 ? await extract(valImages, run, { onProgress: progress(done) }) : undefined;
  onEvent({ type: 'cache', phase, stage: 'end', done: total, total, seconds: (Date.now() - t0) / 1000 });
  return assemble(ctx, splits, counts, trainPasses, shapes, v?.data);
}

/** Cuts the activations of all requested outputs (split by split, in order) into each split's cached sources. */
function assemble(ctx: PhaseContext, splits: SplitModel[], counts: number[], trainPasses: Float32Array[][], shapes: number[][], val: Float32Array[] | undefined): CachedSplit[] {
  const { data } = ctx;
  let offset = 0;
  return splits.map((split, i) => {
    const n = counts[i] as number;
    const pick = <T>(xs: T[]): T[] => xs.slice(offset, offset + n);
    const entry: CachedSplit = { split, train: new CachedSource(trainPasses.map(pick), pick(shapes), data.train.labels) };
    if (val) entry.val = new CachedSource([pick(val)], pick(shapes), data.val.labels);
    offset += n;
    return entry;
  });
}

/** Runs one phase (cached or not), checkpointing after every epoch. */
export async function runPhase(ctx: PhaseContext, phase: PhaseName, resume?: { state: PhaseState; optimizer: NamedTensors; best?: Float32Array[] }): Promise<FitPhaseResult> {
  const { model, data, schedule, classes, onEvent } = ctx;
  const spec = phaseSpec(schedule, phase);
  const { trainable } = applyFreeze(model, ctx.baseLayers, phase, schedule, ctx.freeze);
  const frozenCount = model.layers.filter((l) => !l.trainable && l.weights.length > 0).length;
  const passes = ctx.augment ? schedule.augmentedPasses : 0;
  const useCache = ctx.cache && phase !== 'scratch' && (!ctx.augment || passes > 0);
  const stage = imageStageOf(model);
  if (stage && !useCache) {
    throw new HeadstartError('SPEC_INVALID', `${stage.label} runs outside TF.js, so its features must be cached: ${ctx.cache ? 'augmentation needs augmentedPasses ≥ 1' : 'cache: false is not available'} with it`, { details: { field: ctx.cache ? 'schedule.augmentedPasses' : 'cache' } });
  }
  let fitModel: LayersModel = model;
  let train: BatchSource = new ImageSource(data.train.pixels, data.train.labels, ctx.preprocess, ctx.augment);
  let val: BatchSource | undefined = data.val.labels.length > 0 ? new ImageSource(data.val.pixels, data.val.labels, ctx.preprocess) : undefined;
  if (useCache) {
    let mine: CachedSplit;
    if (ctx.prefetched?.phase === phase) {
      mine = ctx.prefetched.cache;
      ctx.prefetched = undefined;
    } else {
      const splits = [splitModel(model, topSeeds(model, trainable))];
      // Phase 1 also caches phase 2's boundary: its prefix is frozen base layers only, unchanged by phase 1.
      if (phase === 'phase1' && ctx.nextPhase) splits.push(splitModel(model, topSeeds(model, [...ctx.nextPhase.trainableBase, ...headWeighted(model)])));
      const caches = await buildCaches(ctx, phase, splits);
      mine = caches[0] as CachedSplit;
      if (caches[1] && ctx.nextPhase) ctx.prefetched = { phase: ctx.nextPhase.phase, cache: caches[1] };
    }
    fitModel = mine.split.top;
    train = mine.train;
    val = mine.val;
  }
  onEvent({ type: 'phase-start', phase, epochs: spec.epochs, learningRate: resume?.state.callbacks.lr ?? spec.learningRate, trainableLayers: trainable.size, frozenLayers: frozenCount });
  const t0 = Date.now();
  const l2 = ctx.l2 > 0 ? [{ weight: 'head_logits/kernel', l2: ctx.l2 }] : [];
  const result = await fitPhase({
    phase,
    model: fitModel,
    spec,
    train,
    ...(val ? { val } : {}),
    classes,
    ...(ctx.classWeights ? { classWeights: ctx.classWeights } : {}),
    l2,
    rng: ctx.rng.fork(PHASE_STREAM[phase]),
    onEvent,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(resume ? { resume } : {}),
    ...(ctx.parallel ? { parallel: ctx.parallel } : {}),
    checkpoint: async (c) => {
      if (c.record) ctx.history.push(c.record);
      const weights = stableWeights(model).map((w, i) => ({ name: `w${i}`, tensor: w.read() }));
      const path = await saveCheckpoint(
        ctx.runDir,
        { version: 1, phase, phaseState: c.state, history: ctx.history },
        weights,
        await optimizerState(c.optimizer),
        c.best,
        stableWeights(fitModel).map((w) => w.shape),
      );
      await ctx.onProgress(phase, c.state.epoch);
      onEvent({ type: 'checkpoint', phase, epoch: c.state.epoch, path });
    },
  });
  onEvent({ type: 'phase-end', phase, epochsRun: result.epochsRun, bestEpoch: result.bestEpoch + 1, seconds: (Date.now() - t0) / 1000 });
  return result;
}
