/** `train`: dataset → base + head → phase 1 (cached features) → phase 2 (boundary cache) → evaluation → run directory. */
import { mkdir } from 'node:fs/promises';
import type { z } from 'zod';
import { basename, join, resolve } from 'node:path';
import {
  augment as coreAugment,
  balancedClassWeights,
  createRng,
  HeadstartError,
  HeadSpecSchema,
  preprocessSpecFor,
  type EvalReport,
  type EventSink,
  type HeadSpec,
  type PhaseName,
  type PreprocessMode,
  type RunManifest,
} from '@headstart/core';
import { selectBackend, type BackendName } from '../backend/select-backend.ts';
import { stepWorkers } from '../parallel/threads.ts';
import { findBase } from '../bases/catalogue.ts';
import { loadBase, type BaseLayer } from '../bases/load-base.ts';
import { prepareData, type PreparedData } from '../data/prepare.ts';
import type { AugmentFn } from '../data/sources.ts';
import { decisionOf, evaluateAndReport } from '../eval/evaluate.ts';
import { runSettings } from '../eval/report-html.ts';
import { buildClassifier, buildScratchCnn, SCRATCH_CUT } from '../model/build.ts';
import { adaptStandardization } from './standardize.ts';
import { calibrateModel } from './calibrate.ts';
import { headL2 } from '../model/head.ts';
import { setWeightValues, stableWeights } from '../model/weights.ts';
import { loadCheckpoint, removeCheckpoint } from '../run/checkpoint.ts';
import { readManifest, writeHistory, writeManifest } from '../run/manifest.ts';
import { replaceDir, saveLayersModel } from '../run/model-io.ts';
import { prepareRunDir } from '../run/run-dir.ts';
import { tfc, tfl, type LayersModel } from '../tf.ts';
import type { FeatureEngine } from './feature-engine.ts';
import type { EpochRecord, PhaseState } from './fit-loop.ts';
import { phase2TrainableBase, runPhase, type PhaseContext } from './phase.ts';
import { resolveHead, resolveSchedule, type ScheduleInput } from './schedule.ts';

/** Options of `train` (see the cross-team contract). */
export interface TrainOptions {
  data: string;
  out: string;
  /** Catalogue id, model.json path or URL, or a run directory; default 'mobilenet_v2'. */
  base?: string;
  inputSize?: number;
  cut?: string;
  preprocess?: PreprocessMode;
  /** Head spec (input form: defaults fill missing fields); default avg-pool + dropout 0.2 + softmax. */
  head?: z.input<typeof HeadSpecSchema>;
  schedule?: ScheduleInput;
  backend?: BackendName | 'auto';
  resume?: boolean;
  /** Replace an existing run in `out` (its model, exports and reports are removed first). Without it (or `resume`) an existing run is refused. */
  overwrite?: boolean;
  /** Abort = finish the current batch, save a checkpoint, emit 'interrupted', throw INTERRUPTED. */
  signal?: AbortSignal;
  maxImages?: number;
  /** false: recompute the frozen base every step (Keras-style), for benchmarks and equivalence tests. Default true. */
  cache?: boolean;
  /** Where downloaded bases are cached. */
  cacheDir?: string;
  /** Replaces the host of base download URLs (the app's HEADSTART_MODEL_MIRROR). */
  modelMirror?: string;
  /**
   * Engine computing the cached features: 'auto' (default) = onnxruntime-node when the frozen prefix
   * converts and loads, else TF.js; 'onnxruntime' throws instead of falling back. Recorded in
   * the manifest as `versions['feature-engine']` (plus `versions['feature-engine-fallback']`).
   */
  featureEngine?: FeatureEngine;
  /**
   * Threads that train (data-parallel: each takes a share of every batch): 'auto' (default) = one
   * per core on the wasm and cpu backends (tfjs-node threads natively), 1 = this thread only.
   */
  threads?: number | 'auto';
}

/** What `train` returns. */
export interface TrainResult {
  runDir: string;
  manifest: RunManifest;
  report: EvalReport;
}

/** Input size used when none is given: small enough for a 2-core CPU. */
const DEFAULT_TRAIN_SIZE: Record<string, number> = { mobilenet_v2: 96, inception_v3: 139 };
const SCRATCH_HEAD: HeadSpec = { kind: 'dense', pooling: 'flatten', standardize: false, dropout: 0.25, blocks: [{ units: 128, activation: 'relu', dropout: 0, batchNorm: false }] };
const SCRATCH_SIZE = 64;

/** Checkpoint JSON of a run. */
interface RunCheckpointState {
  version: 1;
  phase: PhaseName;
  phaseState: PhaseState;
  history: EpochRecord[];
}

function versions(): Record<string, string> {
  return { headstart: '0.1.0', 'tfjs-core': tfc.version_core, 'tfjs-layers': tfl.version_layers };
}

function baseRef(m: RunManifest): string {
  if (findBase(m.base.id)) return m.base.id;
  return m.base.id.startsWith('run:') ? m.base.source : m.base.id;
}

/**
 * Trains a classifier and writes the run directory (headstart.json, model/, history.jsonl,
 * report.json, report.html). Emits typed events; never prints.
 * @example await train({ data: 'data/demo', out: 'runs/demo' }, (e) => log(e));
 */
export async function train(opts: TrainOptions, onEvent: EventSink = () => undefined): Promise<TrainResult> {
  const started = Date.now();
  const runDir = resolve(opts.out);
  // Before any work: the folder is writable, an existing run is never silently reused.
  await prepareRunDir(runDir, { ...(opts.resume ? { resume: true } : {}), ...(opts.overwrite ? { overwrite: true } : {}) });
  const prior = opts.resume ? await readManifest(runDir) : undefined;
  if (prior?.status === 'complete') throw new HeadstartError('USAGE', `Run ${runDir} is already complete; nothing to resume`);
  // The backend first: reading a checkpoint creates tensors, which needs an initialised backend.
  const backend = await selectBackend(opts.backend ?? 'auto');
  const ckpt = opts.resume ? await loadCheckpoint<RunCheckpointState>(runDir) : undefined;
  const schedule = prior?.schedule ?? resolveSchedule(opts.schedule);
  const scratch = schedule.mode === 'scratch';
  const head = prior?.head ?? resolveHead(opts.head ?? (scratch ? SCRATCH_HEAD : undefined));
  if (scratch && head.standardize) {
    throw new HeadstartError('SPEC_INVALID', 'head.standardize needs a pretrained base (its statistics are measured once on frozen features); drop it in scratch mode', { details: { field: 'head.standardize' } });
  }
  const rng = createRng(schedule.seed);

  // Base (or scratch CNN), cut and input size.
  const baseId = prior ? baseRef(prior) : (opts.base ?? 'mobilenet_v2');
  let baseModel: LayersModel;
  let baseLayers: BaseLayer[];
  let baseRecord: RunManifest['base'];
  let mode: PreprocessMode;
  if (scratch) {
    // A resumed run keeps its manifest's [height, width] as it is.
    const s: [number, number] = prior?.preprocess.size ?? [opts.inputSize ?? SCRATCH_SIZE, opts.inputSize ?? SCRATCH_SIZE];
    baseModel = buildScratchCnn(s, rng.fork(2));
    baseLayers = baseModel.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => ({ name: l.name, className: l.getClassName(), weighted: l.weights.length > 0 }));
    baseRecord = { id: 'scratch', source: 'buildScratchCnn (random init)', provenance: 'Trained from scratch on this dataset only', cut: SCRATCH_CUT, inputSize: s };
    mode = prior?.preprocess.mode ?? opts.preprocess ?? 'tf';
  } else {
    const inputSize = prior?.preprocess.size ?? opts.inputSize ?? DEFAULT_TRAIN_SIZE[baseId];
    const cut = prior?.base.cut ?? opts.cut;
    const pre = prior?.preprocess.mode ?? opts.preprocess;
    const base = await loadBase(baseId, { ...(inputSize ? { inputSize } : {}), ...(cut ? { cut } : {}), ...(pre ? { preprocess: pre } : {}), ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}), ...(opts.modelMirror ? { mirror: opts.modelMirror } : {}), onEvent });
    baseModel = base.model;
    baseLayers = base.layers;
    baseRecord = { id: base.id, source: base.source, provenance: base.provenance, cut: base.cut, inputSize: base.inputSize };
    mode = base.preprocess;
  }
  const preprocess = preprocessSpecFor(mode, baseRecord.inputSize);

  // Data: check (stops here when unusable), split, decode.
  const dataPath = resolve(opts.data ?? prior?.dataset.path);
  const data: PreparedData = await prepareData(dataPath, {
    size: preprocess.size,
    resize: preprocess.resize,
    valSplit: schedule.valSplit,
    testSplit: schedule.testSplit,
    seed: schedule.seed,
    ...(opts.maxImages !== undefined ? { maxImages: opts.maxImages } : {}),
    onEvent,
  });
  if (prior && prior.dataset.fingerprint !== data.fingerprint) {
    throw new HeadstartError('CHECKPOINT_INVALID', `The dataset at ${dataPath} changed since run ${runDir} started (fingerprint ${data.fingerprint} ≠ ${prior.dataset.fingerprint}); start a new run`);
  }
  const classes = data.labels.length;
  const classWeights =
    schedule.classWeights === 'auto'
      ? balancedClassWeights(data.trainCounts)
      : schedule.classWeights === 'none'
        ? undefined
        : data.labels.map((l) => (schedule.classWeights as Record<string, number>)[l] ?? 1);

  const model = buildClassifier(baseModel, head, classes, rng.fork(1));
  if (ckpt) {
    const n = stableWeights(model).length;
    if (ckpt.weights.length !== n) throw new HeadstartError('CHECKPOINT_INVALID', `Checkpoint of ${runDir} has ${ckpt.weights.length} weights, the model ${n}`);
    setWeightValues(model, ckpt.weights);
  } else {
    // The checkpoint carries the standardisation statistics; a new run measures them once, before phase 1.
    await adaptStandardization(model, data.train, preprocess, opts.featureEngine ?? 'auto');
  }

  await mkdir(runDir, { recursive: true });
  const manifest: RunManifest = {
    format: 'headstart-run@1',
    name: basename(runDir),
    createdAt: prior?.createdAt ?? new Date().toISOString(),
    status: 'running',
    base: baseRecord,
    preprocess,
    head,
    schedule,
    labels: data.labels,
    dataset: { path: dataPath, fingerprint: data.fingerprint, counts: { train: data.train.labels.length, val: data.val.labels.length, test: data.test.labels.length } },
    backend: backend.name,
    versions: versions(),
    metrics: {},
    progress: ckpt ? { phase: ckpt.state.phase, epoch: ckpt.state.phaseState.epoch } : { phase: scratch ? 'scratch' : 'phase1', epoch: 0 },
  };
  await writeManifest(runDir, manifest);
  onEvent({
    type: 'start',
    runDir,
    backend: backend.name,
    base: baseRecord.id,
    inputSize: preprocess.size,
    labels: data.labels,
    trainCount: data.train.labels.length,
    valCount: data.val.labels.length,
    testCount: data.test.labels.length,
    resumed: Boolean(ckpt),
  });

  const augmentFn: AugmentFn | undefined = schedule.augment ? (px, h, w, r) => coreAugment(px, h, w, schedule.augment as NonNullable<typeof schedule.augment>, r) : undefined;
  const phases: PhaseName[] = scratch ? ['scratch'] : ['phase1'];
  if (!scratch && schedule.phase2.epochs > 0 && schedule.phase2.unfreeze.kind !== 'none') phases.push('phase2');
  const history: EpochRecord[] = ckpt?.state.history ?? [];
  let first = 0;
  let resume = ckpt ? { state: ckpt.state.phaseState, optimizer: ckpt.optimizer, ...(ckpt.best ? { best: ckpt.best } : {}) } : undefined;
  if (ckpt) {
    first = Math.max(0, phases.indexOf(ckpt.state.phase));
    if (ckpt.state.phaseState.done) {
      first += 1;
      resume = undefined;
    }
  }
  const ctx: PhaseContext = {
    runDir,
    model,
    baseLayers,
    schedule,
    data,
    preprocess,
    classes,
    ...(classWeights ? { classWeights } : {}),
    l2: headL2(head),
    ...(augmentFn ? { augment: augmentFn } : {}),
    cache: opts.cache ?? true,
    featureEngine: opts.featureEngine ?? 'auto',
    onFeatureEngine: (engine, fallbackReason) => {
      manifest.versions['feature-engine'] = engine === 'onnxruntime' ? 'onnxruntime-node' : `tfjs ${tfc.version_core}`;
      if (fallbackReason) manifest.versions['feature-engine-fallback'] = fallbackReason;
      else delete manifest.versions['feature-engine-fallback'];
    },
    rng,
    onEvent,
    ...(opts.signal ? { signal: opts.signal } : {}),
    history,
    ...(phases.includes('phase2') ? { nextPhase: { phase: 'phase2' as const, trainableBase: phase2TrainableBase(baseLayers, schedule) } } : {}),
    ...stepWorkers(backend.name, opts.threads),
    onProgress: async (phase, epoch) => {
      manifest.progress = { phase, epoch };
      await writeHistory(runDir, history);
      await writeManifest(runDir, manifest);
    },
  };
  let interrupted = false;
  for (let i = first; i < phases.length && !interrupted; i++) {
    const phase = phases[i] as PhaseName;
    // An abort between phases stops before the next one starts (the last phase's checkpoint is complete).
    if (opts.signal?.aborted) {
      interrupted = true;
      break;
    }
    interrupted = (await runPhase(ctx, phase, i === first ? resume : undefined)).interrupted;
  }
  if (interrupted) {
    manifest.status = 'interrupted';
    await writeManifest(runDir, manifest);
    const progress = manifest.progress ?? { phase: 'phase1', epoch: 0 };
    const resumeCommand = `headstart train ${JSON.stringify(dataPath)} --out ${JSON.stringify(runDir)} --resume`;
    onEvent({ type: 'interrupted', phase: progress.phase === 'done' ? 'phase2' : progress.phase, epoch: progress.epoch, checkpoint: join(runDir, 'checkpoint'), resumeCommand });
    throw new HeadstartError('INTERRUPTED', `Training interrupted; the last checkpoint is in ${join(runDir, 'checkpoint')}. Resume with: ${resumeCommand}`, {
      details: { runDir, resumeCommand },
    });
  }

  // Final model (calibrated on the validation images), evaluation, manifest.
  const calibration = calibrateModel(model, data.val, preprocess, data.labels.length);
  if (calibration) manifest.calibration = calibration;
  const tmpModelDir = join(runDir, `.model.tmp-${process.pid}`);
  await saveLayersModel(model, tmpModelDir);
  await replaceDir(tmpModelDir, join(runDir, 'model'));
  await writeHistory(runDir, history);
  const evalSplit = data.test.labels.length > 0 ? 'test' : 'val';
  const report = await evaluateAndReport(runDir, model, data[evalSplit], data.labels, preprocess, history, onEvent, 5, {
    data: dataPath,
    split: evalSplit,
    settings: runSettings(manifest),
    decision: decisionOf(manifest),
    ...(calibration ? { calibration } : {}),
  });
  const last = [...history].reverse().find((h) => h.val_acc !== undefined);
  manifest.metrics = {
    ...(last?.val_loss !== undefined ? { val_loss: last.val_loss, val_acc: last.val_acc as number } : {}),
    // Evaluated on the final (possibly best-restored) weights: wins over the last epoch's figure.
    [`${evalSplit}_acc`]: report.accuracy,
    [`${evalSplit}_macro_f1`]: report.macroF1,
    train_seconds: (Date.now() - started) / 1000,
  };
  manifest.status = 'complete';
  manifest.progress = { phase: 'done', epoch: 0 };
  await writeManifest(runDir, manifest);
  await removeCheckpoint(runDir);
  const seconds = (Date.now() - started) / 1000;
  onEvent({ type: 'done', runDir, metrics: manifest.metrics, seconds, reportPath: join(runDir, 'report.html') });
  return { runDir, manifest, report };
}
