/** One phase of a run: freeze plan, BN pinning, caching at the freeze boundary, the fit loop, checkpoints. */
import { planFreeze, type EventSink, type PhaseName, type PhaseSpec, type PreprocessSpec, type Rng, type ScheduleSpec } from '@headstart/core';
import type { BaseLayer } from '../bases/load-base.ts';
import type { PreparedData } from '../data/prepare.ts';
import { CachedSource, extract, ImageSource, type AugmentFn } from '../data/sources.ts';
import { splitModel, STOCHASTIC_LAYERS } from '../model/graph.ts';
import { pinInferenceLayers } from '../model/modes.ts';
import { stableWeights } from '../model/weights.ts';
import { saveCheckpoint } from '../run/checkpoint.ts';
import type { LayersModel } from '../tf.ts';
import { tfc } from '../tf.ts';
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
  rng: Rng;
  onEvent: EventSink;
  signal?: AbortSignal;
  history: EpochRecord[];
  onProgress: (phase: PhaseName, epoch: number) => Promise<void>;
}

const PHASE_STREAM: Record<PhaseName, number> = { phase1: 11, phase2: 12, scratch: 13 };

/** Sets `trainable` on every layer for a phase; returns the trainable base layer names and BN layers to pin. */
export function applyFreeze(model: LayersModel, baseLayers: BaseLayer[], phase: PhaseName, schedule: ScheduleSpec): { trainable: Set<string>; pin: Set<string> } {
  const baseNames = new Set(baseLayers.map((l) => l.name));
  let trainableBase = new Set<string>();
  let pin = new Set<string>(baseLayers.filter((l) => l.className.startsWith('BatchNormalization')).map((l) => l.name));
  if (phase === 'phase2') {
    const plan = planFreeze(baseLayers, schedule.phase2.unfreeze);
    trainableBase = plan.trainable;
    pin = new Set([...pin, ...plan.bnInference]);
  } else if (phase === 'scratch') {
    trainableBase = baseNames;
    pin = new Set();
  }
  for (const l of model.layers) {
    if (l.getClassName() === 'InputLayer') continue;
    l.trainable = baseNames.has(l.name) ? trainableBase.has(l.name) : true;
  }
  pinInferenceLayers(model, pin);
  return { trainable: new Set(model.layers.filter((l) => l.trainable && l.weights.length > 0).map((l) => l.name)), pin };
}

function phaseSpec(schedule: ScheduleSpec, phase: PhaseName): PhaseSpec {
  return phase === 'phase2' ? schedule.phase2 : schedule.phase1;
}

/** Runs one phase (cached or not), checkpointing after every epoch. */
export async function runPhase(ctx: PhaseContext, phase: PhaseName, resume?: { state: PhaseState; optimizer: NamedTensors; best?: Float32Array[] }): Promise<FitPhaseResult> {
  const { model, data, schedule, classes, onEvent } = ctx;
  const spec = phaseSpec(schedule, phase);
  const { trainable } = applyFreeze(model, ctx.baseLayers, phase, schedule);
  const frozenCount = model.layers.filter((l) => !l.trainable && l.weights.length > 0).length;
  const trainImages = new ImageSource(data.train.pixels, data.train.labels, ctx.preprocess, ctx.augment);
  const valImages = new ImageSource(data.val.pixels, data.val.labels, ctx.preprocess);
  const passes = ctx.augment ? schedule.augmentedPasses : 0;
  const useCache = ctx.cache && phase !== 'scratch' && (!ctx.augment || passes > 0);
  let fitModel: LayersModel = model;
  let train: BatchSource = trainImages;
  let val: BatchSource | undefined = valImages.count > 0 ? valImages : undefined;
  if (useCache) {
    const seeds = new Set([...trainable, ...model.layers.filter((l) => STOCHASTIC_LAYERS.has(l.getClassName())).map((l) => l.name)]);
    const split = splitModel(model, seeds);
    fitModel = split.top;
    const prefix = split.prefix;
    const run = (x: tfc.Tensor): tfc.Tensor[] => {
      if (!prefix) return [x.clone()];
      const out = prefix.predict(x) as tfc.Tensor | tfc.Tensor[];
      return Array.isArray(out) ? out : [out];
    };
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
      const r = extract(trainImages, run, { ...(p > 0 ? { rng: ctx.rng.fork(PHASE_STREAM[phase] * 1000 + p) } : {}), onProgress: progress(done) });
      trainPasses.push(r.data);
      shapes = r.shapes;
    }
    train = new CachedSource(trainPasses, shapes, data.train.labels);
    if (valImages.count > 0) {
      const v = extract(valImages, run, { onProgress: progress(done) });
      val = new CachedSource([v.data], v.shapes, data.val.labels);
    }
    onEvent({ type: 'cache', phase, stage: 'end', done: total, total, seconds: (Date.now() - t0) / 1000 });
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
