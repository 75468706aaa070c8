/** The phases of a planned run (phase 2 kept only when it beats phase 1 in a measured run) and the final metrics of one epoch. */
import type { TrainOptions } from './train.ts';
import type { Prepared } from './prepare-run.ts';
import { augment as coreAugment, balancedClassWeights, createRng, planFreeze, type EvalReport, type EventSink, type PhaseName, type PhaseSpec, type ScheduleSpec } from '@headstart/core';
import { stepWorkers } from '../parallel/threads.ts';
import type { AugmentFn } from '../data/sources.ts';
import { headL2 } from '../model/head.ts';
import { setWeightValues, weightValues } from '../model/weights.ts';
import { writeHistory, writeManifest } from '../run/manifest.ts';
import { tfc } from '../tf.ts';
import type { EpochRecord } from './fit-loop.ts';
import { runPhase, type PhaseContext } from './phase.ts';
import type { ImageSplit } from '../data/prepare.ts';
import { stratifiedFolds } from '../probe/cross-validate.ts';
import { evaluateSplit } from './evaluate-split.ts';
import { type RunPlan } from './plan.ts';


/** Fewer validation images per class than this and phase 2 is judged on the same images that picked the epochs (saying so). */
export const MIN_JUDGE_PER_CLASS = 2;

/**
 * Validation split in two stratified halves: `select` picks epochs (early stopping, best
 * checkpoint, reduce-on-plateau), `judge` is used only to decide whether phase 2 beats phase 1.
 * Undefined when the halves would hold fewer than MIN_JUDGE_PER_CLASS images per class.
 */
export function judgeSplit(val: ImageSplit, classes: number, seed: number): { select: ImageSplit; judge: ImageSplit } | undefined {
  if (val.labels.length < 2 * MIN_JUDGE_PER_CLASS * classes) return undefined;
  const folds = stratifiedFolds(val.labels, 2, createRng(seed).fork(61));
  const part = (f: number): ImageSplit => {
    const idx = Array.from(folds.keys()).filter((i) => folds[i] === f);
    return { pixels: idx.map((i) => val.pixels[i] as Uint8Array), labels: Int32Array.from(idx, (i) => val.labels[i] as number), paths: idx.map((i) => val.paths[i] as string) };
  };
  return { select: part(0), judge: part(1) };
}

/**
 * Runs the plan's phases from where a checkpoint left off. In a measured run, phase 2 keeps its
 * weights only when it beats phase 1 on validation images that picked no epoch (`judgeSplit`);
 * otherwise phase 1's come back.
 * Returns true when interrupted.
 */
export async function runPhases(opts: TrainOptions, plan: RunPlan, p: Prepared, runDir: string, history: EpochRecord[], onEvent: EventSink): Promise<boolean> {
  const { schedule } = plan;
  const { model, manifest, ckpt } = p;
  const phases: PhaseName[] = plan.scratch ? ['scratch'] : ['phase1'];
  if (!plan.scratch && schedule.phase2.epochs > 0 && schedule.phase2.unfreeze.kind !== 'none') phases.push('phase2');
  let first = 0;
  let resume = ckpt ? { state: ckpt.state.phaseState, optimizer: ckpt.optimizer, ...(ckpt.best ? { best: ckpt.best } : {}) } : undefined;
  if (ckpt) {
    first = Math.max(0, phases.indexOf(ckpt.state.phase));
    if (ckpt.state.phaseState.done) {
      first += 1;
      resume = undefined;
    }
  }
  // Phase 2's freeze plan, once: it decides which boundary phase 1 caches and what phase 2 trains.
  const freeze = phases.includes('phase2') ? planFreeze(p.baseLayers, schedule.phase2.unfreeze) : undefined;
  const augment = schedule.augment;
  const augmentFn: AugmentFn | undefined = augment ? (px, h, w, r) => coreAugment(px, h, w, augment, r) : undefined;
  const classWeights =
    schedule.classWeights === 'auto' ? balancedClassWeights(p.data.trainCounts) : schedule.classWeights === 'none' ? undefined : p.data.labels.map((l) => (schedule.classWeights as Record<string, number>)[l] ?? 1);
  // A measured run judges phase 2 on validation images that picked no epoch (the other half picks them).
  const judge = manifest.decision?.recipe === 'measured' && p.data.val.labels.length > 0 && phases.includes('phase2');
  const halves = judge ? judgeSplit(p.data.val, p.data.labels.length, schedule.seed) : undefined;
  const ctx: PhaseContext = {
    runDir,
    model,
    baseLayers: p.baseLayers,
    schedule,
    data: halves ? { ...p.data, val: halves.select } : p.data,
    preprocess: p.preprocess,
    classes: p.data.labels.length,
    ...(classWeights ? { classWeights } : {}),
    l2: headL2(plan.head),
    ...(augmentFn ? { augment: augmentFn } : {}),
    cache: opts.cache ?? true,
    ...(opts.featureQueue ? { featureQueue: opts.featureQueue } : {}),
    featureEngine: opts.featureEngine ?? 'auto',
    onFeatureEngine: (engine, fallbackReason) => {
      manifest.versions['feature-engine'] = engine === 'onnxruntime' ? 'onnxruntime-node' : `tfjs ${tfc.version_core}`;
      if (fallbackReason) manifest.versions['feature-engine-fallback'] = fallbackReason;
      else delete manifest.versions['feature-engine-fallback'];
    },
    rng: createRng(schedule.seed),
    onEvent,
    ...(opts.signal ? { signal: opts.signal } : {}),
    history,
    ...(freeze ? { freeze, nextPhase: { phase: 'phase2' as const, trainableBase: freeze.trainable } } : {}),
    ...stepWorkers(manifest.backend, opts.threads),
    onProgress: async (phase, epoch) => {
      manifest.progress = { phase, epoch };
      await writeHistory(runDir, history);
      await writeManifest(runDir, manifest);
    },
  };
  const judgeImages = halves?.judge ?? p.data.val;
  const judgedOn = halves ? `${judgeImages.labels.length} validation images that picked no epoch (the other ${halves.select.labels.length} picked them)` : `the ${judgeImages.labels.length} validation images that also picked the epochs (too few to halve)`;
  const judgeAcc = async (): Promise<number> => (await evaluateSplit(model, judgeImages, p.preprocess, p.data.labels.length)).acc;
  let phase1: { weights: Float32Array[]; acc: number } | undefined;
  for (let i = first; i < phases.length; i++) {
    const phase = phases[i] as PhaseName;
    // An abort between phases stops before the next one starts (the last phase's checkpoint is complete).
    if (opts.signal?.aborted) return true;
    const r = await runPhase(ctx, phase, i === first ? resume : undefined);
    if (r.interrupted) return true;
    if (judge && phase === 'phase1') phase1 = { weights: weightValues(model), acc: await judgeAcc() };
    if (judge && phase === 'phase2' && phase1 && manifest.decision) {
      const acc = await judgeAcc();
      const kept = acc > phase1.acc;
      if (!kept) setWeightValues(model, phase1.weights);
      manifest.decision.phase2 = { kept, phase1ValAcc: phase1.acc, phase2ValAcc: acc, judgedOn };
      const line = kept
        ? `phase 2 kept: ${(acc * 100).toFixed(1)}% vs ${(phase1.acc * 100).toFixed(1)}% after phase 1 on ${judgedOn}`
        : `phase 2 dropped: ${(acc * 100).toFixed(1)}% vs ${(phase1.acc * 100).toFixed(1)}% after phase 1 on ${judgedOn} — the phase-1 model is kept`;
      manifest.decision.lines.push(line);
      onEvent({ type: 'decision', lines: [line] });
    }
  }
  return false;
}

function phaseSpecOf(schedule: ScheduleSpec, phase: PhaseName): PhaseSpec {
  return phase === 'phase2' ? schedule.phase2 : schedule.phase1;
}

/** The metrics of the epoch whose weights the model ends with (one epoch's numbers), then the headline evaluation. */
export function finalMetrics(history: EpochRecord[], p: Prepared, evalSplit: 'test' | 'val', report: EvalReport, seconds: number): Record<string, number> {
  const d = p.manifest.decision;
  const phases = [...new Set(history.map((h) => h.phase))];
  const lastPhase = d?.phase2 && !d.phase2.kept ? 'phase1' : phases[phases.length - 1];
  const rows = history.filter((h) => h.phase === lastPhase);
  const spec = lastPhase ? phaseSpecOf(p.manifest.schedule, lastPhase) : undefined;
  const restore = spec?.earlyStopping ? spec.earlyStopping.restoreBest : false;
  const withVal = rows.filter((h) => h.val_loss !== undefined);
  const best = restore && withVal.length > 0 ? withVal.reduce((a, b) => ((b.val_loss as number) < (a.val_loss as number) ? b : a)) : rows[rows.length - 1];
  const epochIndex = best ? history.indexOf(best) + 1 : 0;
  return {
    // The headline first: evaluated on the final weights, on the split the decision names.
    [`${evalSplit}_acc`]: report.accuracy,
    [`${evalSplit}_macro_f1`]: report.macroF1,
    ...(best?.val_loss !== undefined && evalSplit !== 'val' ? { val_loss: best.val_loss, val_acc: best.val_acc as number } : best?.val_loss !== undefined ? { val_loss: best.val_loss } : {}),
    ...(epochIndex > 0 ? { epoch: epochIndex } : {}),
    train_seconds: seconds,
  };
}

