/** The training loop of one phase: batches, class weights, callbacks, events, interrupt and resume. */
import type { EventSink, PhaseName, PhaseSpec, Rng } from '@headstart/core';
import type { BackendName } from '../backend/select-backend.ts';
import { isPinned, reseedStochastic, useFastActivations } from '../model/modes.ts';
import { asAdam, FastAdam } from '../ortgrad/adam.ts';
import type { GradientEngine } from '../ortgrad/engine.ts';
import { hasConv, selectStepEngine, type StepEngine } from '../ortgrad/select.ts';
import { DataParallelSteps } from '../parallel/data-parallel.ts';
import { shareLoss } from '../parallel/share-loss.ts';
import { setWeightValues, weightValues } from '../model/weights.ts';
import { tfc, type LayersModel } from '../tf.ts';
import { initialCallbackState, onEpochEnd, type CallbackState } from './callbacks.ts';
import { createOptimizer, restoreOptimizerState, setLearningRate, type NamedTensors } from './optimizer.ts';

/** Supplies input tensors for a list of sample indices (cached activations or images). */
export interface BatchSource {
  count: number;
  labels: Int32Array;
  /** Model inputs for `indices`; `rng` drives augmentation / pass choice (absent = deterministic, pass 0). */
  batch(indices: number[], rng?: Rng): tfc.Tensor[];
}

/** One epoch's record (a line of history.jsonl). */
export interface EpochRecord {
  phase: PhaseName;
  epoch: number;
  loss: number;
  acc: number;
  val_loss?: number;
  val_acc?: number;
  lr: number;
  seconds: number;
}

/** Where a phase stands: saved in checkpoints, enough to continue exactly. */
export interface PhaseState {
  epoch: number;
  batch: number;
  sums: { loss: number; correct: number; seen: number; seconds: number };
  callbacks: CallbackState;
  done: boolean;
}

/** What a checkpoint of a phase receives. */
export interface PhaseCheckpoint {
  state: PhaseState;
  optimizer: tfc.Optimizer;
  /** Weight values of the best epoch so far (undefined until one exists). */
  best: Float32Array[] | undefined;
  record?: EpochRecord;
}

/** Inputs of `fitPhase`. */
export interface FitPhaseOptions {
  phase: PhaseName;
  /** The model trained (its trainable weights are the variables updated). */
  model: LayersModel;
  spec: PhaseSpec;
  train: BatchSource;
  val?: BatchSource;
  classes: number;
  classWeights?: number[];
  /** L2 penalties on named weights: loss += l2 * sum(w^2). */
  l2?: { weight: string; l2: number }[];
  rng: Rng;
  onEvent: EventSink;
  signal?: AbortSignal;
  /** Called after every epoch and on interrupt; must persist atomically. */
  checkpoint: (c: PhaseCheckpoint) => Promise<void>;
  resume?: { state: PhaseState; optimizer: NamedTensors; best?: Float32Array[] };
  /** Data-parallel steps: `workers` worker threads (on `backend`) each take a share of every batch. */
  parallel?: { workers: number; backend: BackendName };
  /** Engine of the training steps (default 'auto': onnxruntime for convolution tops on wasm / cpu). */
  stepEngine?: StepEngine;
}

/** Result of a phase. */
export interface FitPhaseResult {
  records: EpochRecord[];
  bestEpoch: number;
  epochsRun: number;
  interrupted: boolean;
  state: PhaseState;
}

/** Mean loss and accuracy of `model` on a source (inference mode). */
export function evaluateSource(model: LayersModel, src: BatchSource, classes: number, batchSize = 64): { loss: number; acc: number; probs: Float32Array } {
  const scores = new Scores(src, classes);
  for (let s = 0; s < src.count; s += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, src.count - s) }, (_, k) => s + k);
    const xs = src.batch(idx);
    const p = tfc.tidy(() => model.predict(xs.length === 1 ? (xs[0] as tfc.Tensor) : xs) as tfc.Tensor);
    scores.add(s, idx, p.dataSync() as Float32Array);
    p.dispose();
    xs.forEach((x) => x.dispose());
  }
  return scores.result();
}

/** The same as {@link evaluateSource} with probabilities from `predict` (e.g. an onnxruntime session). */
export async function evaluateWith(predict: (xs: tfc.Tensor[]) => Promise<Float32Array>, src: BatchSource, classes: number, batchSize = 64): Promise<{ loss: number; acc: number; probs: Float32Array }> {
  const scores = new Scores(src, classes);
  for (let s = 0; s < src.count; s += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, src.count - s) }, (_, k) => s + k);
    const xs = src.batch(idx);
    scores.add(s, idx, await predict(xs));
    xs.forEach((x) => x.dispose());
  }
  return scores.result();
}

/** Accumulates probabilities, clipped cross-entropy and accuracy over batches. */
class Scores {
  private readonly probs: Float32Array;
  private loss = 0;
  private correct = 0;
  constructor(
    private readonly src: BatchSource,
    private readonly classes: number,
  ) {
    this.probs = new Float32Array(src.count * classes);
  }

  add(s: number, idx: number[], data: Float32Array): void {
    const { classes, src } = this;
    this.probs.set(data, s * classes);
    let loss = 0;
    let correct = 0;
    idx.forEach((i, r) => {
      const y = src.labels[i] as number;
      let arg = 0;
      for (let c = 1; c < classes; c++) if ((data[r * classes + c] as number) > (data[r * classes + arg] as number)) arg = c;
      if (arg === y) correct++;
      loss -= Math.log(Math.min(1 - 1e-7, Math.max(1e-7, data[r * classes + y] as number)));
    });
    this.loss += loss;
    this.correct += correct;
  }

  result(): { loss: number; acc: number; probs: Float32Array } {
    const n = Math.max(1, this.src.count);
    return { loss: this.loss / n, acc: this.correct / n, probs: this.probs };
  }
}

/** The RNG stream of one epoch (independent of how many batches ran before: resume-exact). */
function epochRng(rng: Rng, epoch: number): Rng {
  return rng.fork(epoch + 1);
}

/**
 * Step workers pay off when a step runs convolutions (a head on cached features trains in
 * microseconds, less than a message round trip), and stay exact only when no BatchNormalization
 * normalises with batch statistics (each share would use its own).
 */
function worthParallel(model: LayersModel): boolean {
  const layers = model.layers;
  return hasConv(model) && !layers.some((l) => l.getClassName() === 'BatchNormalization' && !isPinned(l));
}

/** Data-parallel step workers as a gradient engine (dropout seeds of the other shares drawn from the step's rng). */
function poolEngine(pool: DataParallelSteps, vars: tfc.Variable[], l2: { v: tfc.Tensor; l2: number }[]): GradientEngine {
  return {
    async gradients(xs, labels, rng) {
      const r = await pool.gradients(xs, labels, Array.from({ length: pool.shares }, (_, k) => rng.fork(1000 + k).int(2 ** 31 - 1)), l2);
      const grads = await Promise.all(vars.map(async (v) => (await (r.grads[v.name] as tfc.Tensor).data()) as Float32Array));
      tfc.dispose(Object.values(r.grads));
      return { loss: r.loss, correct: r.correct, grads };
    },
    dispose: () => pool.dispose(),
  };
}

/**
 * Trains one phase: its steps on the onnxruntime engine when it applies, else on TF.js (with step
 * workers when `o.parallel` asks for some; the onnxruntime engine already uses every core).
 */
export async function fitPhase(o: FitPhaseOptions): Promise<FitPhaseResult> {
  useFastActivations(o.model);
  const ort = await selectStepEngine(o.model, o.stepEngine ?? 'auto', { classes: o.classes, ...(o.classWeights ? { classWeights: o.classWeights } : {}), ...(o.l2 ? { l2: o.l2 } : {}) }, o.onEvent);
  const workers = !ort && worthParallel(o.model) ? (o.parallel?.workers ?? 0) : 0;
  const pool =
    workers > 0 && o.parallel
      ? await DataParallelSteps.start(o.model, { workers, backend: o.parallel.backend, classes: o.classes, ...(o.classWeights ? { classWeights: o.classWeights } : {}) })
      : undefined;
  const l2 = l2Terms(o);
  const engine = ort ?? (pool ? poolEngine(pool, o.model.trainableWeights.map((w) => w.read() as tfc.Variable), l2) : undefined);
  try {
    return await fitLoop(o, engine, ort ? (xs, weights) => ort.predict(xs, weights) : undefined);
  } finally {
    await engine?.dispose();
  }
}

function l2Terms(o: FitPhaseOptions): { v: tfc.Tensor; l2: number }[] {
  return (o.l2 ?? [])
    .map((p) => ({ v: o.model.weights.find((w) => w.originalName === p.weight || w.name === p.weight)?.read(), l2: p.l2 }))
    .filter((p): p is { v: tfc.Tensor; l2: number } => p.v !== undefined);
}

/** One training step: the loss and correct predictions of the batch, the weights updated. */
async function trainStep(
  c: { model: LayersModel; vars: tfc.Variable[]; optimizer: tfc.Optimizer; adam: FastAdam | undefined; classes: number; weightsT: tfc.Tensor1D | undefined; l2: { v: tfc.Tensor; l2: number }[] },
  xs: tfc.Tensor[],
  labels: Int32Array,
  rng: Rng,
  engine: GradientEngine | undefined,
): Promise<{ loss: number; correct: number }> {
  if (engine) {
    const r = await engine.gradients(xs, labels, rng, c.adam?.weights);
    if (c.adam) {
      c.adam.step(r.grads);
    } else {
      const grads: tfc.NamedTensorMap = {};
      c.vars.forEach((v, i) => (grads[v.name] = tfc.tensor(r.grads[i] as Float32Array, v.shape)));
      c.optimizer.applyGradients(grads);
      tfc.dispose(Object.values(grads));
    }
    return { loss: r.loss, correct: r.correct };
  }
  const y = tfc.tensor1d(labels, 'int32');
  let pred: tfc.Tensor1D | undefined;
  const cost = c.optimizer.minimize(
    () => {
      const out = shareLoss(c.model, xs, y, { classes: c.classes, total: labels.length, ...(c.weightsT ? { classWeights: c.weightsT } : {}), l2: c.l2 });
      pred = out.pred;
      return out.loss;
    },
    true,
    c.vars,
  ) as tfc.Scalar;
  const correctT = tfc.tidy(() => tfc.sum(tfc.cast(tfc.equal(pred as tfc.Tensor1D, y), 'int32')));
  const loss = (await cost.data())[0] as number;
  const correct = (await correctT.data())[0] as number;
  tfc.dispose([cost, correctT, y, pred as tfc.Tensor]);
  return { loss, correct };
}

async function fitLoop(o: FitPhaseOptions, engine: GradientEngine | undefined, predict: Predict | undefined): Promise<FitPhaseResult> {
  const vars = o.model.trainableWeights.map((w) => w.read() as tfc.Variable);
  const state: PhaseState = o.resume?.state ?? { epoch: 0, batch: 0, sums: { loss: 0, correct: 0, seen: 0, seconds: 0 }, callbacks: initialCallbackState(o.spec), done: false };
  const optimizer = createOptimizer(o.spec, state.callbacks.lr);
  if (o.resume && o.resume.optimizer.length > 0) await restoreOptimizerState(optimizer, o.resume.optimizer);
  const weightsT = o.classWeights ? tfc.tensor1d(o.classWeights) : undefined;
  // With a gradient engine, Adam runs on mirrors of the weights (flushed into the optimizer before each
  // checkpoint) unless there are too many to mirror; then TF.js's optimizer applies the engine's gradients.
  const adamOpt = engine && FastAdam.fits(vars) ? asAdam(optimizer) : undefined;
  const adam = adamOpt ? new FastAdam(adamOpt, vars) : undefined;
  try {
    return await epochs(o, { model: o.model, vars, optimizer, adam, classes: o.classes, weightsT, l2: l2Terms(o) }, state, engine, predict);
  } finally {
    adam?.close();
    weightsT?.dispose();
    optimizer.dispose();
  }
}

type Predict = (xs: tfc.Tensor[], weights?: Float32Array[]) => Promise<Float32Array>;
type StepContext = Parameters<typeof trainStep>[0];

/** The epochs of a phase from `state` on (fresh or resumed). */
async function epochs(o: FitPhaseOptions, step: StepContext, from: PhaseState, engine: GradientEngine | undefined, predict: Predict | undefined): Promise<FitPhaseResult> {
  const { spec, model, train, classes } = o;
  const { optimizer, adam } = step;
  let state = from;
  let best = o.resume?.best;
  const records: EpochRecord[] = [];
  const bs = spec.batchSize;
  const batches = Math.ceil(train.count / bs);
  let interrupted = false;
  while (!state.done && state.epoch < spec.epochs) {
    const epoch = state.epoch;
    const erng = epochRng(o.rng, epoch);
    const order = erng.fork(0).shuffle(Array.from({ length: train.count }, (_, i) => i));
    if (state.batch === 0) o.onEvent({ type: 'epoch-start', phase: o.phase, epoch: epoch + 1, epochs: spec.epochs, batches });
    const t0 = Date.now() - state.sums.seconds * 1000;
    for (let b = state.batch; b < batches; b++) {
      const brng = erng.fork(b + 1);
      const idx = order.slice(b * bs, (b + 1) * bs);
      const xs = train.batch(idx, brng);
      reseedStochastic(model, brng);
      const labels = Int32Array.from(idx, (i) => train.labels[i] as number);
      const { loss: lossV, correct } = await trainStep(step, xs, labels, brng, engine);
      xs.forEach((t) => t.dispose());
      state.sums.loss += lossV * idx.length;
      state.sums.correct += correct;
      state.sums.seen += idx.length;
      state.batch = b + 1;
      const elapsed = (Date.now() - t0) / 1000;
      state.sums.seconds = elapsed;
      const ips = state.sums.seen / Math.max(1e-6, elapsed);
      o.onEvent({
        type: 'batch',
        phase: o.phase,
        epoch: epoch + 1,
        batch: b + 1,
        batches,
        loss: state.sums.loss / state.sums.seen,
        acc: state.sums.correct / state.sums.seen,
        imagesPerSec: ips,
        etaSec: ((batches - b - 1) * bs + (spec.epochs - epoch - 1) * train.count) / Math.max(1e-6, ips),
      });
      if (o.signal?.aborted && b + 1 < batches) {
        adam?.syncWeights();
        adam?.flush();
        await o.checkpoint({ state, optimizer, best });
        interrupted = true;
        break;
      }
    }
    if (interrupted) break;
    // The TF.js model is read from here on (validation, the best-epoch snapshot, the checkpoint).
    adam?.syncWeights();
    const seconds = (Date.now() - t0) / 1000;
    const metrics: Record<string, number> = { loss: state.sums.loss / Math.max(1, state.sums.seen), acc: state.sums.correct / Math.max(1, state.sums.seen) };
    if (o.val && o.val.count > 0) {
      const v = predict ? await evaluateWith((xs) => predict(xs, adam?.weights), o.val, classes) : evaluateSource(model, o.val, classes);
      metrics['val_loss'] = v.loss;
      metrics['val_acc'] = v.acc;
    }
    const d = onEpochEnd(spec, state.callbacks, epoch, metrics, Boolean(o.val && o.val.count > 0));
    if (d.isBest) best = weightValues(model);
    const record: EpochRecord = { phase: o.phase, epoch: epoch + 1, loss: metrics['loss'] as number, acc: metrics['acc'] as number, lr: state.callbacks.lr, seconds };
    if (metrics['val_loss'] !== undefined) {
      record.val_loss = metrics['val_loss'];
      record.val_acc = metrics['val_acc'] as number;
    }
    records.push(record);
    o.onEvent({ type: 'epoch-end', phase: o.phase, epoch: epoch + 1, epochs: spec.epochs, learningRate: state.callbacks.lr, seconds, best: d.isBest, ...metrics } as Parameters<EventSink>[0]);
    if (d.lrChange) {
      setLearningRate(optimizer, d.lrChange.to);
      o.onEvent({ type: 'lr-change', phase: o.phase, epoch: epoch + 1, from: d.lrChange.from, to: d.lrChange.to, reason: 'reduce-on-plateau' });
    }
    const stop = d.stop || epoch + 1 >= spec.epochs;
    if (d.stop) o.onEvent({ type: 'early-stop', phase: o.phase, epoch: epoch + 1, bestEpoch: d.state.bestEpoch + 1, reason: `no improvement for ${spec.earlyStopping ? spec.earlyStopping.patience : 0} epochs` });
    // A fixed budget (earlyStopping: false) keeps its last weights: no epoch is picked on validation.
    if (stop && best && spec.earlyStopping && spec.earlyStopping.restoreBest) setWeightValues(model, best);
    state = { epoch: epoch + 1, batch: 0, sums: { loss: 0, correct: 0, seen: 0, seconds: 0 }, callbacks: d.state, done: stop };
    adam?.flush();
    await o.checkpoint({ state, optimizer, best, record });
    if (o.signal?.aborted && !stop) {
      interrupted = true;
      break;
    }
  }
  return { records, bestEpoch: state.callbacks.bestEpoch, epochsRun: state.epoch, interrupted, state };
}
