/**
 * Temperature scaling after training: fitted on held-out images (the validation and test splits,
 * never the head's training images) and folded into the model by dividing the output layer's
 * kernel and bias by T — softmax((xW + b)/T) = softmax(x(W/T) + b/T) — so the TF.js model, the
 * exported ONNX and everything serving it return calibrated probabilities without knowing about it.
 *
 * Why the test split too: the validation split chose the kept epoch (early stopping restores the
 * lowest validation loss, reduce-on-plateau watches it), so the model is selected to look
 * calibrated on exactly those images and a temperature fitted there alone stays near 1 (on the
 * demo: T 1.07 from validation vs 1.36 fitted on 1000 unseen Fashion-MNIST images). The test
 * split was used for no choice, and a temperature never changes the top-1 label, so test accuracy
 * is unaffected; the ECE reported is cross-fitted on the pooled images.
 */
import { calibrationSummary, fitTemperature, HeadstartError, softmax, type CalibrationRecord, type EvalReport, type PreprocessSpec, thresholdForPrecision, type UnknownRecord, UnknownThresholdSchema } from '@headstart/core';
import type { ImageSplit } from '../data/prepare.ts';
import { pct } from '../format.ts';
import { HEAD_PREFIX } from '../model/head.ts';
import { tfc, type LayersModel } from '../tf.ts';
import { evaluateSplit } from './evaluate-split.ts';

/** Logits up to a per-row constant (log p), which is all softmax and temperature scaling see. */
function logProbs(probs: Float32Array): Float32Array {
  return probs.map((p) => Math.log(Math.max(p, 1e-30)));
}

/** The rows `idx` of a row-major [n, classes] array. */
function rows(a: Float32Array, idx: number[], classes: number): Float32Array {
  const out = new Float32Array(idx.length * classes);
  idx.forEach((i, r) => out.set(a.subarray(i * classes, (i + 1) * classes), r * classes));
  return out;
}

/**
 * Fits the temperature on held-out probabilities. The ECE after calibration is measured honestly:
 * each half of the held-out images is scaled by a temperature fitted on the other half.
 */
export function fitCalibration(probs: Float32Array, labels: Int32Array, classes: number, heldOut: CalibrationRecord['heldOut']): CalibrationRecord {
  const z = logProbs(probs);
  const temperature = fitTemperature(z, labels, classes);
  const halves = [0, 1].map((h) => Array.from(labels, (_, i) => i).filter((i) => i % 2 === h));
  const after = new Float32Array(probs.length);
  const afterLabels = new Int32Array(labels.length);
  let r = 0;
  halves.forEach((part, h) => {
    const other = halves[1 - h] as number[];
    const t = fitTemperature(rows(z, other, classes), Int32Array.from(other, (i) => labels[i] as number), classes);
    const p = softmax(rows(z, part, classes).map((v) => v / t), classes);
    after.set(p, r * classes);
    part.forEach((i, j) => (afterLabels[r + j] = labels[i] as number));
    r += part.length;
  });
  const before = calibrationSummary(probs, labels, classes);
  const calibrated = calibrationSummary(after, afterLabels, classes);
  return { temperature, heldOut, count: labels.length, eceBefore: before.ece, eceAfter: calibrated.ece, binsBefore: before.bins, binsAfter: calibrated.bins };
}

/**
 * ECE of a model's probabilities on evaluated images; with the run's `temperature`, also of the
 * same probabilities with the temperature taken out (softmax(T · log p)).
 */
export function eceOf(probs: Float32Array, labels: Int32Array, classes: number, temperature?: number): NonNullable<EvalReport['ece']> {
  const calibrated = calibrationSummary(probs, labels, classes).ece;
  if (temperature === undefined) return { calibrated };
  const raw = softmax(logProbs(probs).map((v) => v * temperature), classes);
  return { calibrated, uncalibrated: calibrationSummary(raw, labels, classes).ece, temperature };
}

/** Divides the softmax output layer's kernel and bias by `temperature` (in place). */
export function foldTemperature(model: LayersModel, temperature: number): void {
  const layer = model.layers[model.layers.length - 1];
  const config = layer?.getConfig() as { activation?: string } | undefined;
  if (!layer || layer.getClassName() !== 'Dense' || config?.activation !== 'softmax') {
    throw new HeadstartError('MODEL_INVALID', `Cannot fold a temperature into ${layer?.name ?? 'an empty model'}: the output layer must be a Dense layer with softmax activation (like ${HEAD_PREFIX}logits)`);
  }
  const scaled = layer.getWeights().map((w) => tfc.div(w, temperature));
  layer.setWeights(scaled);
  tfc.dispose(scaled);
}

/** Fewer held-out images than this: no calibration (a temperature fitted on a handful is noise). */
export const CALIBRATION_MIN_IMAGES = 20;

/** A calibrated model's probabilities on its held-out images (after the temperature), for choosing thresholds. */
export interface Calibrated {
  record: CalibrationRecord;
  /** Row-major [n, classes] calibrated probabilities of the held-out images, and their labels. */
  probs: Float32Array;
  labels: Int32Array;
}

/**
 * Fits the temperature on the held-out images (validation, plus test when there is one) and folds
 * it into `model`; undefined (model untouched) when there are too few.
 */
export async function calibrateModel(model: LayersModel, held: { val: ImageSplit; test: ImageSplit }, preprocess: PreprocessSpec, classes: number): Promise<Calibrated | undefined> {
  const pixels = [...held.val.pixels, ...held.test.pixels];
  const labels = Int32Array.from([...held.val.labels, ...held.test.labels]);
  if (labels.length < CALIBRATION_MIN_IMAGES) return undefined;
  const which: CalibrationRecord['heldOut'] = held.test.labels.length === 0 ? 'val' : held.val.labels.length === 0 ? 'test' : 'val+test';
  const { probs } = await evaluateSplit(model, { pixels, labels, paths: [...held.val.paths, ...held.test.paths] }, preprocess, classes);
  const record = fitCalibration(probs, labels, classes, which);
  foldTemperature(model, record.temperature);
  const t = record.temperature;
  return { record, probs: softmax(logProbs(probs).map((v) => v / t), classes), labels };
}

/**
 * The run's "unknown" threshold: given (`unknownBelow`), or chosen on the calibrated held-out
 * probabilities to `unknownPrecision`; `line` says what was chosen or why nothing was.
 */
export function chooseUnknown(opts: { unknownBelow?: number; unknownPrecision?: number }, calibrated: Calibrated | undefined): { record?: UnknownRecord; line?: string } {
  if (opts.unknownBelow !== undefined) return { record: { below: UnknownThresholdSchema.parse(opts.unknownBelow) } };
  const target = opts.unknownPrecision;
  if (target === undefined) return {};
  if (!calibrated) return { line: `unknown: no threshold chosen for precision ${target}: fewer than ${CALIBRATION_MIN_IMAGES} held-out images; give --unknown-below instead` };
  const classes = calibrated.probs.length / calibrated.labels.length;
  const t = thresholdForPrecision(calibrated.probs, calibrated.labels, classes, target);
  const count = calibrated.labels.length;
  if (!t) return { line: `unknown: no threshold reaches precision ${target} on the ${count} held-out images; give --unknown-below instead` };
  return {
    record: { below: t.below, chosen: { target, precision: t.precision, coverage: t.coverage, count } },
    line: `unknown below ${t.below.toFixed(3)}: on the ${count} held-out images the labels given are ${pct(t.precision)} right, and ${pct(1 - t.coverage)} are answered "unknown"`,
  };
}
