/**
 * The run plan: everything `train` will do, decided once before anything trains — rebuilt from
 * the manifest on resume, the fixed recipe (`recipe: 'keras'`, scratch mode), or the advisor's
 * measurement (`recipe: 'measured'`, what plain `headstart train` does). Each option the caller
 * set overrides only its own decision.
 */
import { resolve } from 'node:path';
import { HeadstartError, TINY_PER_CLASS, type Decision, type EventSink, type HeadSpec, type PreprocessMode, type RunManifest, type ScheduleSpec } from '@headstart/core';
import { loadDataset } from '@headstart/core-node';
import { DEFAULT_PROBE_SAMPLE, DEFAULT_SIZE, measureBase, sampleSplit, type Advice } from '../advise.ts';
import { findBase } from '../bases/catalogue.ts';
import { SCRATCH_HEAD, SCRATCH_SIZE } from '../model/build.ts';
import { loadBase, type LoadedBase } from '../bases/load-base.ts';
import { isOnnxPath, ONNX_BASE_FROZEN } from '../bases/onnx-base.ts';
import { prepareData, type PreparedData } from '../data/prepare.ts';
import { decisionFor, overriddenFlags, scratchDecisionFor } from './decision.ts';
import { DEFAULT_SCHEDULE, resolveHead, resolveSchedule, type ScheduleInput } from './schedule.ts';
import type { TrainOptions } from './train.ts';

/** How `train` chooses what it does: measure first (the CLI's default) or the fixed recipe. */
export type Recipe = 'measured' | 'keras';

/** The base used when none is given. */
export const DEFAULT_BASE = 'mobilenet_v2';
/** Fraction held out as a test split by the measured recipe when the data has none and validation picks epochs. */
export const HOLDOUT_TEST_SPLIT = 0.1;

/** What a run does: base, cut, size, head, schedule, and the decision record. */
export interface RunPlan {
  /** Catalogue id, path/URL or run directory; 'scratch' in scratch mode. */
  baseId: string;
  scratch: boolean;
  inputSize?: number;
  cut?: string;
  preprocess?: PreprocessMode;
  head: HeadSpec;
  schedule: ScheduleSpec;
  decision?: Decision;
  /** Set on resume: the run's original creation time. */
  createdAt?: string;
  /** Loaded and decoded while measuring: `prepare` reuses them. */
  loaded?: { base: LoadedBase; data: PreparedData };
}

function baseRef(m: RunManifest): string {
  if (findBase(m.base.id)) return m.base.id;
  return m.base.id.startsWith('run:') ? m.base.source : m.base.id;
}

/** Resume: the plan is the manifest's, exactly (no option is consulted). */
export function planFromManifest(m: RunManifest): RunPlan {
  return {
    baseId: m.schedule.mode === 'scratch' ? 'scratch' : baseRef(m),
    scratch: m.schedule.mode === 'scratch',
    inputSize: m.preprocess.size[0],
    cut: m.base.cut,
    preprocess: m.preprocess.mode,
    head: m.head,
    schedule: m.schedule,
    ...(m.decision ? { decision: m.decision } : {}),
    createdAt: m.createdAt,
  };
}

/** True when `baseId` is a frozen ONNX base (no phase 2). */
function frozenBase(baseId: string): boolean {
  return isOnnxPath(baseId);
}

/** An ONNX base trains only the head: fine-tuning asked for is refused before any work. */
function refuseFineTune(opts: TrainOptions): void {
  const p2 = opts.schedule?.phase2;
  if ((p2?.epochs ?? 0) > 0 || (p2?.unfreeze !== undefined && p2.unfreeze.kind !== 'none')) {
    throw new HeadstartError('USAGE', `Phase 2 (--fine-tune-epochs, --unfreeze) was asked for with --base ${opts.base ?? ''}, but ${ONNX_BASE_FROZEN}. Drop those flags, or use a TF.js, Keras or catalogue base to fine-tune`, {
      details: { field: 'schedule.phase2' },
    });
  }
}

/** The schedule with phase 2 switched off. */
function withoutPhase2(schedule: ScheduleSpec): ScheduleSpec {
  return { ...schedule, phase2: { ...schedule.phase2, epochs: 0, unfreeze: { kind: 'none' } } };
}

/** The fixed recipe: defaults overlaid with the options, nothing measured. */
export function fixedPlan(opts: TrainOptions): RunPlan {
  const schedule = resolveSchedule(opts.schedule);
  const scratch = schedule.mode === 'scratch';
  const head = resolveHead(opts.head ?? (scratch ? SCRATCH_HEAD : undefined));
  if (scratch && head.standardize) {
    throw new HeadstartError('SPEC_INVALID', 'head.standardize needs a pretrained base (its statistics are measured once on frozen features); drop it in scratch mode', { details: { field: 'head.standardize' } });
  }
  const baseId = scratch ? 'scratch' : (opts.base ?? DEFAULT_BASE);
  const inputSize = opts.inputSize ?? (scratch ? SCRATCH_SIZE : DEFAULT_SIZE[baseId]);
  const frozen = !scratch && frozenBase(baseId);
  const line = scratch
    ? 'a small CNN trained from scratch (--mode scratch): no pretrained base, nothing to measure'
    : frozen
      ? 'the fixed recipe (--recipe keras): default cut, avg-pool head, 40 head epochs with early stopping'
      : 'the fixed recipe (--recipe keras): default cut, avg-pool head, 40 head epochs with early stopping, phase 2 unfreezes the top 20 layers at 1e-5';
  return {
    baseId,
    scratch,
    ...(inputSize !== undefined ? { inputSize } : {}),
    ...(opts.cut ? { cut: opts.cut } : {}),
    ...(opts.preprocess ? { preprocess: opts.preprocess } : {}),
    head,
    schedule: frozen ? withoutPhase2(schedule) : schedule,
    decision: { recipe: 'keras', lines: frozen ? [line, `phase 2: off (${ONNX_BASE_FROZEN})`] : [line], scores: [], overridden: overriddenFlags(opts), flags: scratch ? ['--mode transfer'] : ['--recipe measured'] },
  };
}

/** Training images per class the split will leave, from the dataset listing (no decoding). */
async function trainPerClass(data: string, valSplit: number, maxImages: number | undefined): Promise<{ perClass: number; hasTest: boolean }> {
  const ds = await loadDataset(data);
  const hasTest = ds.items.some((i) => i.split === 'test');
  const explicit = ds.items.some((i) => i.split === 'train');
  const n = Math.min(ds.items.length, maxImages ?? Number.POSITIVE_INFINITY);
  const train = explicit ? ds.items.filter((i) => i.split === 'train').length : n * (1 - valSplit);
  return { perClass: train / Math.max(1, ds.labels.length), hasTest };
}

/**
 * The measured recipe: the advisor's measurement (`measureBase`, the code path `headstart
 * advise` runs) on the training split, then its cut, pooling, standardisation, augmentation and
 * schedule — each replaced by the caller's own option where one was given. When the data has no
 * test split and validation will pick epochs, HOLDOUT_TEST_SPLIT is held out so the headline
 * number is not the one that picked the weights.
 */
export async function measuredPlan(opts: TrainOptions, onEvent: EventSink): Promise<RunPlan> {
  const baseId = opts.base ?? DEFAULT_BASE;
  const dataPath = resolve(opts.data);
  const given = resolveSchedule(opts.schedule);
  const { perClass, hasTest } = await trainPerClass(dataPath, given.valSplit, opts.maxImages);
  const holdout = !hasTest && opts.schedule?.testSplit === undefined && perClass >= TINY_PER_CLASS;
  const testSplit = opts.schedule?.testSplit ?? (holdout ? HOLDOUT_TEST_SPLIT : 0);
  const inputSize = opts.inputSize ?? DEFAULT_SIZE[baseId];
  const loadOpts = { ...(inputSize ? { inputSize } : {}), ...(opts.preprocess ? { preprocess: opts.preprocess } : {}), ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}), ...(opts.modelMirror ? { mirror: opts.modelMirror } : {}), onEvent };
  let base = await loadBase(baseId, { ...loadOpts, ...(opts.cut ? { cut: opts.cut } : {}) });
  try {
    const data = await prepareData(dataPath, {
      size: base.inputSize,
      resize: 'cover',
      valSplit: given.valSplit,
      testSplit,
      seed: given.seed,
      ...(opts.maxImages !== undefined ? { maxImages: opts.maxImages } : {}),
      onEvent,
    });
    const sample = sampleSplit(data.train, DEFAULT_PROBE_SAMPLE, given.seed);
    const advice = await measureBase(base, sample, {
      baseId,
      trainCount: data.train.labels.length,
      classes: data.labels.length,
      ...(opts.cut ? { cuts: [opts.cut] } : {}),
      seed: given.seed,
      dataLabel: dataPath,
      scratch: transferOnlyFlags(opts).length === 0,
    });
    if (advice.scratchProbe?.wins) {
      base.model.dispose();
      return scratchPlan(opts, advice, { testSplit, holdout }, onEvent);
    }
    const cut = opts.cut ?? advice.cutLayer ?? base.cut;
    const head = resolveHead({ ...advice.head, ...(opts.head ?? {}) });
    const user: ScheduleInput = opts.schedule ?? {};
    // Fine-tune epochs asked for on a plan without phase 2: unfreeze the fixed recipe's layers.
    const unfreeze = user.phase2?.epochs && !user.phase2.unfreeze && advice.schedule.phase2.unfreeze.kind === 'none' ? { phase2: { unfreeze: DEFAULT_SCHEDULE.phase2.unfreeze } } : {};
    const frozen = frozenBase(baseId);
    const resolved = resolveSchedule(advice.schedule as ScheduleInput, { testSplit }, user, frozen ? {} : unfreeze);
    const schedule = frozen ? withoutPhase2(resolved) : resolved;
    if (cut !== base.cut) {
      base.model.dispose();
      base = await loadBase(baseId, { ...loadOpts, cut });
    }
    const decision = decisionFor({ advice, base, head, schedule, opts, data, holdout, ...(frozen ? { phase2Off: ONNX_BASE_FROZEN } : {}) });
    onEvent({ type: 'decision', lines: decision.lines });
    return { baseId, scratch: false, inputSize: base.inputSize[0], cut, preprocess: base.preprocess, head, schedule, decision, loaded: { base, data } };
  } catch (e) {
    base.model.dispose();
    throw e;
  }
}

/** Options that only make sense for transfer: given any, scratch is not a candidate. */
function transferOnlyFlags(opts: TrainOptions): string[] {
  const s = opts.schedule ?? {};
  const flags: [boolean, string][] = [
    [opts.base !== undefined, '--base'],
    [opts.cut !== undefined, '--cut'],
    [opts.inputSize !== undefined, '--input-size'],
    [opts.head !== undefined, '--head'],
    [opts.preprocess !== undefined, '--preprocess'],
    [s.mode !== undefined, '--mode'],
    [s.phase2 !== undefined, '--fine-tune-epochs'],
    [s.augment !== undefined, '--augment'],
  ];
  return flags.filter(([on]) => on).map(([, f]) => f);
}

/** The measured recipe when the scratch CNN beat transfer significantly: scratch mode at its default size, with the caller's other options. */
function scratchPlan(opts: TrainOptions, advice: Advice, split: { testSplit: number; holdout: boolean }, onEvent: EventSink): RunPlan {
  const schedule = resolveSchedule({ mode: 'scratch' }, { testSplit: split.testSplit }, opts.schedule ?? {});
  const decision = scratchDecisionFor({ advice, schedule, opts, holdout: split.holdout });
  onEvent({ type: 'decision', lines: decision.lines });
  return { baseId: 'scratch', scratch: true, inputSize: SCRATCH_SIZE, head: resolveHead(SCRATCH_HEAD), schedule, decision };
}

/** The plan of a run: the manifest's on resume, else measured or fixed as `opts.recipe` says. */
export async function planRun(opts: TrainOptions, prior: RunManifest | undefined, onEvent: EventSink): Promise<RunPlan> {
  if (prior) return planFromManifest(prior);
  if (opts.base !== undefined && frozenBase(opts.base) && opts.schedule?.mode !== 'scratch') refuseFineTune(opts);
  const scratch = opts.schedule?.mode === 'scratch';
  if ((opts.recipe ?? 'keras') === 'keras' || scratch) {
    const plan = fixedPlan(opts);
    if (opts.recipe === 'measured' && plan.decision) onEvent({ type: 'decision', lines: plan.decision.lines });
    return plan;
  }
  return measuredPlan(opts, onEvent);
}
