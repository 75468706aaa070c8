/**
 * Temperature scaling after training: fitted on held-out images (the validation split, never
 * the head's training images) and folded into the model by dividing the output layer's kernel and
 * bias by T — softmax((xW + b)/T) = softmax(x(W/T) + b/T) — so the TF.js model, the exported ONNX
 * and everything serving it return calibrated probabilities without knowing about it.
 */
import { calibrationSummary, fitTemperature, HeadstartError, softmax, type CalibrationRecord, type PreprocessSpec } from '@headstart/core';
import type { ImageSplit } from '../data/prepare.ts';
import { HEAD_PREFIX } from '../model/head.ts';
import { tfc, type LayersModel } from '../tf.ts';
import { evaluateSource } from './fit-loop.ts';
import { predictionSource } from './image-stage.ts';

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

/** Fits the temperature on `heldOut` images and folds it into `model`; undefined (model untouched) when there are too few. */
export async function calibrateModel(model: LayersModel, heldOut: ImageSplit, preprocess: PreprocessSpec, classes: number): Promise<CalibrationRecord | undefined> {
  if (heldOut.labels.length < CALIBRATION_MIN_IMAGES) return undefined;
  const { probs } = evaluateSource(model, await predictionSource(model, heldOut, preprocess), classes, 32);
  const record = fitCalibration(probs, heldOut.labels, classes, 'val');
  foldTemperature(model, record.temperature);
  return record;
}
