/** `train`: dataset → base + head → phase 1 (cached features) → phase 2 (boundary cache) → evaluation → run directory. */
import type { z } from 'zod';
import { join, resolve } from 'node:path';
import { HeadstartError, HeadSpecSchema, type EvalReport, type EventSink, type PreprocessMode, type RunManifest } from '@headstart/core';
import { selectBackend, type BackendName } from '../backend/select-backend.ts';
import { calibrateModel, chooseUnknown } from './calibrate.ts';
import { releaseImageStage } from './image-stage.ts';
import { decisionOf, evaluateAndReport } from '../eval/evaluate.ts';
import { runSettings } from '../eval/report-html.ts';
import { prepareRunDir } from '../run/run-dir.ts';
import { removeCheckpoint } from '../run/checkpoint.ts';
import { readManifest, writeHistory, writeManifest } from '../run/manifest.ts';
import { replaceDir, saveLayersModel } from '../run/model-io.ts';
import type { FeatureEngine } from './feature-engine.ts';
import type { FeatureQueue } from './queued-caches.ts';
import type { EpochRecord } from './fit-loop.ts';
import { planRun, type Recipe } from './plan.ts';
import type { ScheduleInput } from './schedule.ts';

import { prepare } from './prepare-run.ts';
import { finalMetrics, runPhases } from './run-phases.ts';

/** Options of `train` (see the cross-team contract). */
export interface TrainOptions {
  data: string;
  out: string;
  /**
   * 'measured': run the advisor's measurement on the training images and train what it favours
   * (plain `headstart train`); 'keras' (default for library callers): the fixed recipe. Either
   * way every option given here overrides only its own decision.
   */
  recipe?: Recipe;
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
   * Queue workers compute the feature / boundary caches (`headstart train --queue`): the frozen prefixes
   * must convert to ONNX (workers run them on onnxruntime); the head then trains on the gathered
   * cache exactly as on a local one.
   */
  featureQueue?: FeatureQueue;
  /**
   * Threads that train (data-parallel: each takes a share of every batch): 'auto' = one per core
   * on the wasm and cpu backends (tfjs-node threads natively), 1 (default) = this thread only.
   */
  threads?: number | 'auto';
  /** Answer "unknown" below this top-1 probability on every surface (stored in headstart.json and the ONNX metadata). */
  unknownBelow?: number;
  /** Choose the "unknown" threshold on the held-out images so that the labels given reach this precision. */
  unknownPrecision?: number;
}

/** What `train` returns. */
export interface TrainResult {
  runDir: string;
  manifest: RunManifest;
  report: EvalReport;
}

/**
 * Trains a classifier and writes the run directory (headstart.json, model/, history.jsonl,
 * report.json, report.html): plan → prepare → phases → finish. Emits typed events; never prints.
 * @example await train({ data: 'data/demo', out: 'runs/demo', recipe: 'measured' }, (e) => log(e));
 */
export async function train(opts: TrainOptions, onEvent: EventSink = () => undefined): Promise<TrainResult> {
  const started = Date.now();
  const runDir = resolve(opts.out);
  // Before any work: the folder is writable, an existing run is never silently reused.
  await prepareRunDir(runDir, { ...(opts.resume ? { resume: true } : {}), ...(opts.overwrite ? { overwrite: true } : {}) });
  const prior = opts.resume ? await readManifest(runDir) : undefined;
  if (prior?.status === 'complete') throw new HeadstartError('USAGE', `Run ${runDir} is already complete; nothing to resume`);
  // The backend first: loading bases and checkpoints creates tensors, which needs an initialised backend.
  const backend = await selectBackend(opts.backend ?? 'auto');
  const plan = await planRun(opts, prior, onEvent);
  const p = await prepare(opts, plan, runDir, backend.name, prior, onEvent);
  const { data, manifest, model } = p;
  onEvent({
    type: 'start',
    runDir,
    backend: backend.name,
    base: manifest.base.id,
    inputSize: p.preprocess.size,
    labels: data.labels,
    trainCount: data.train.labels.length,
    valCount: data.val.labels.length,
    testCount: data.test.labels.length,
    resumed: Boolean(p.ckpt),
    plan: [
      { phase: plan.scratch ? 'scratch' : 'phase1', epochs: plan.schedule.phase1.epochs },
      ...(!plan.scratch && plan.schedule.phase2.epochs > 0 && plan.schedule.phase2.unfreeze.kind !== 'none' ? [{ phase: 'phase2' as const, epochs: plan.schedule.phase2.epochs }] : []),
    ],
  });
  const history: EpochRecord[] = p.ckpt?.state.history ?? [];
  if (await runPhases(opts, plan, p, runDir, history, onEvent)) {
    await releaseImageStage(model);
    manifest.status = 'interrupted';
    await writeManifest(runDir, manifest);
    const progress = manifest.progress ?? { phase: 'phase1', epoch: 0 };
    const resumeCommand = `headstart train ${JSON.stringify(manifest.dataset.path)} --out ${JSON.stringify(runDir)} --resume`;
    onEvent({ type: 'interrupted', phase: progress.phase === 'done' ? 'phase2' : progress.phase, epoch: progress.epoch, checkpoint: join(runDir, 'checkpoint'), resumeCommand });
    throw new HeadstartError('INTERRUPTED', `Training interrupted; the last checkpoint is in ${join(runDir, 'checkpoint')}. Resume with: ${resumeCommand}`, {
      details: { runDir, resumeCommand },
    });
  }

  // Finish: final model, evaluation on the headline split, manifest.
  const calibrated = await calibrateModel(model, data, p.preprocess, data.labels.length);
  const calibration = calibrated?.record;
  if (calibration) manifest.calibration = calibration;
  const unknown = chooseUnknown(opts, calibrated);
  if (unknown.record) manifest.unknown = unknown.record;
  if (unknown.line) onEvent({ type: 'decision', lines: [unknown.line] });
  const tmpModelDir = join(runDir, `.model.tmp-${process.pid}`);
  await saveLayersModel(model, tmpModelDir);
  await replaceDir(tmpModelDir, join(runDir, 'model'));
  await writeHistory(runDir, history);
  const evalSplit = data.test.labels.length > 0 ? 'test' : 'val';
  const report = await evaluateAndReport(runDir, model, data[evalSplit], data.labels, p.preprocess, history, onEvent, 5, {
    data: manifest.dataset.path,
    split: evalSplit,
    settings: runSettings(manifest),
    decision: decisionOf(manifest),
    ...(calibration ? { calibration } : {}),
  });
  manifest.metrics = finalMetrics(history, p, evalSplit, report, (Date.now() - started) / 1000);
  manifest.status = 'complete';
  manifest.progress = { phase: 'done', epoch: 0 };
  await writeManifest(runDir, manifest);
  await removeCheckpoint(runDir);
  await releaseImageStage(model);
  const seconds = (Date.now() - started) / 1000;
  onEvent({ type: 'done', runDir, metrics: manifest.metrics, seconds, reportPath: join(runDir, 'report.html') });
  return { runDir, manifest, report };
}
