/**
 * An image stage: a step that runs before a TF.js model and turns preprocessed NHWC images into the
 * model's input (a frozen ONNX base on onnxruntime, whose TF.js side starts at its features).
 * Attached to the model's input tensor, so the classifier built on it and every split of it share it.
 */
import type { ImageSplit } from '../data/prepare.ts';
import { CachedSource, extract, ImageSource } from '../data/sources.ts';
import type { PreprocessSpec } from '@headstart/core';
import { tfc, type LayersModel } from '../tf.ts';
import type { BatchSource } from './fit-loop.ts';

/** Preprocessed images (NHWC float32) → features, outside TF.js. */
export interface ImageStage {
  /** What it is, for messages (e.g. "ONNX base resnet18.onnx"). */
  label: string;
  /** Shape of one image's features as the model's input sees them ([h, w, c] or [c]). */
  featureShape: number[];
  run(x: Float32Array, count: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

const stages = new WeakMap<object, ImageStage>();

/** Attaches `stage` to `model`'s input: models sharing that input (classifier, splits) run it first. */
export function attachImageStage(model: LayersModel, stage: ImageStage): void {
  const input = model.inputs[0];
  if (!input) throw new TypeError('attachImageStage: the model has no input');
  stages.set(input, stage);
}

/** The image stage of `model`'s input, if any. */
export function imageStageOf(model: LayersModel): ImageStage | undefined {
  const input = model.inputs[0];
  return input ? stages.get(input) : undefined;
}

/** Releases the image stage of `model` (and detaches it); no-op without one. */
export async function releaseImageStage(model: LayersModel): Promise<void> {
  const stage = imageStageOf(model);
  if (!stage) return;
  stages.delete(model.inputs[0] as object);
  await stage.dispose();
}

/** Runs `stage` on a tensor of preprocessed images; the features as a tensor. */
export async function runImageStage(stage: ImageStage, x: tfc.Tensor): Promise<tfc.Tensor> {
  const n = x.shape[0] as number;
  return tfc.tensor(await stage.run(x.dataSync() as Float32Array, n), [n, ...stage.featureShape]);
}

/**
 * What `model` predicts `split` from: the preprocessed images, or — when the model starts after an
 * image stage — the stage's features of every image, computed once.
 */
export async function predictionSource(model: LayersModel, split: ImageSplit, preprocess: PreprocessSpec): Promise<BatchSource> {
  const images = new ImageSource(split.pixels, split.labels, preprocess);
  const stage = imageStageOf(model);
  if (!stage || images.count === 0) return images;
  const r = await extract(images, async (x) => [await runImageStage(stage, x)]);
  return new CachedSource([r.data], r.shapes, split.labels);
}
