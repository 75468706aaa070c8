/** Prepare a planned run: load (or reuse) the base, decode the data, build the classifier, restore a checkpoint, write the first manifest. */
import type { TrainOptions } from './train.ts';
import { mkdir } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { createRng, HeadstartError, preprocessSpecFor, type BackendName, type EventSink, type PhaseName, type PreprocessMode, type RunManifest } from '@headstart/core';
import { loadBase, type BaseLayer } from '../bases/load-base.ts';
import { prepareData, type PreparedData } from '../data/prepare.ts';
import { buildClassifier, buildScratchCnn, SCRATCH_CUT, SCRATCH_SIZE } from '../model/build.ts';
import { adaptStandardization } from './standardize.ts';
import { setWeightValues, stableWeights } from '../model/weights.ts';
import { loadCheckpoint, type LoadedCheckpoint } from '../run/checkpoint.ts';
import { writeManifest } from '../run/manifest.ts';
import { tfc, tfl, type LayersModel } from '../tf.ts';
import type { EpochRecord, PhaseState } from './fit-loop.ts';
import type { RunPlan } from './plan.ts';


/** Checkpoint JSON of a run. */
export interface RunCheckpointState {
  version: 1;
  phase: PhaseName;
  phaseState: PhaseState;
  history: EpochRecord[];
}

function versions(): Record<string, string> {
  return { headstart: '0.1.0', 'tfjs-core': tfc.version_core, 'tfjs-layers': tfl.version_layers };
}


/** What `prepare` builds from a plan: the model, its data and the run's manifest. */
export interface Prepared {
  model: LayersModel;
  baseLayers: BaseLayer[];
  preprocess: RunManifest['preprocess'];
  data: PreparedData;
  manifest: RunManifest;
  ckpt?: LoadedCheckpoint<RunCheckpointState>;
}

/** Loads (or reuses) the base, decodes the data, builds the classifier, restores a checkpoint, writes the first manifest. */
export async function prepare(opts: TrainOptions, plan: RunPlan, runDir: string, backend: BackendName, resumeFrom: RunManifest | undefined, onEvent: EventSink): Promise<Prepared> {
  const { schedule, head } = plan;
  const rng = createRng(schedule.seed);
  let baseModel: LayersModel;
  let baseLayers: BaseLayer[];
  let baseRecord: RunManifest['base'];
  let mode: PreprocessMode;
  if (plan.scratch) {
    const s = plan.inputSize ?? SCRATCH_SIZE;
    baseModel = buildScratchCnn([s, s], rng.fork(2));
    baseLayers = baseModel.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => ({ name: l.name, className: l.getClassName(), weighted: l.weights.length > 0 }));
    baseRecord = { id: 'scratch', source: 'buildScratchCnn (random init)', provenance: 'Trained from scratch on this dataset only', cut: SCRATCH_CUT, inputSize: [s, s] };
    mode = plan.preprocess ?? 'tf';
  } else {
    const base =
      plan.loaded?.base ??
      (await loadBase(plan.baseId, { ...(plan.inputSize ? { inputSize: plan.inputSize } : {}), ...(plan.cut ? { cut: plan.cut } : {}), ...(plan.preprocess ? { preprocess: plan.preprocess } : {}), ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}), ...(opts.modelMirror ? { mirror: opts.modelMirror } : {}), onEvent }));
    baseModel = base.model;
    baseLayers = base.layers;
    baseRecord = { id: base.id, source: base.source, provenance: base.provenance, cut: base.cut, inputSize: base.inputSize, ...(base.onnx ? { onnx: base.onnx } : {}) };
    mode = base.preprocess;
  }
  if (resumeFrom?.base.onnx && baseRecord.onnx?.sha256 !== resumeFrom.base.onnx.sha256) {
    throw new HeadstartError('CHECKPOINT_INVALID', `The ONNX base ${resumeFrom.base.onnx.path} changed since run ${runDir} started (sha256 ${baseRecord.onnx?.sha256 ?? 'none'} ≠ ${resumeFrom.base.onnx.sha256}); restore it or start a new run`);
  }
  const preprocess = preprocessSpecFor(mode, baseRecord.inputSize);

  // Data: check (stops here when unusable), split, decode — unless measuring already did.
  const dataPath = resolve(resumeFrom?.dataset.path ?? opts.data);
  const data: PreparedData =
    plan.loaded?.data ??
    (await prepareData(dataPath, {
      size: preprocess.size,
      resize: preprocess.resize,
      valSplit: schedule.valSplit,
      testSplit: schedule.testSplit,
      seed: schedule.seed,
      ...(opts.maxImages !== undefined ? { maxImages: opts.maxImages } : {}),
      onEvent,
    }));
  if (resumeFrom && resumeFrom.dataset.fingerprint !== data.fingerprint) {
    throw new HeadstartError('CHECKPOINT_INVALID', `The dataset at ${dataPath} changed since run ${runDir} started (fingerprint ${data.fingerprint} ≠ ${resumeFrom.dataset.fingerprint}); start a new run`);
  }
  const model = buildClassifier(baseModel, head, data.labels.length, rng.fork(1));
  const ckpt = resumeFrom ? await loadCheckpoint<RunCheckpointState>(runDir) : undefined;
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
    createdAt: plan.createdAt ?? new Date().toISOString(),
    status: 'running',
    base: baseRecord,
    preprocess,
    head,
    schedule,
    ...(plan.decision ? { decision: plan.decision } : {}),
    labels: data.labels,
    dataset: { path: dataPath, fingerprint: data.fingerprint, counts: { train: data.train.labels.length, val: data.val.labels.length, test: data.test.labels.length } },
    backend,
    versions: versions(),
    metrics: {},
    progress: ckpt ? { phase: ckpt.state.phase, epoch: ckpt.state.phaseState.epoch } : { phase: plan.scratch ? 'scratch' : 'phase1', epoch: 0 },
  };
  await writeManifest(runDir, manifest);
  return { model, baseLayers, preprocess, data, manifest, ...(ckpt ? { ckpt } : {}) };
}

