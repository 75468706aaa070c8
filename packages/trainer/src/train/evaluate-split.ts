/**
 * A split of images evaluated under a model the way training's validation evaluates it: the part
 * below the head (the base up to its cut, or the scratch CNN) on onnxruntime when it converts (else
 * on TF.js, as the caches fall back), then the head on TF.js. Calibration, evaluation, test-time
 * augmentation and the phase-2 judge run through here; the whole model on TF.js cost the demo ~4 s
 * of its 36.
 */
import type { PreprocessSpec } from '@headstart/core';
import type { ImageSplit } from '../data/prepare.ts';
import { CachedSource, extract, ImageSource } from '../data/sources.ts';
import { splitModel } from '../model/graph.ts';
import { HEAD_PREFIX } from '../model/head.ts';
import type { LayersModel } from '../tf.ts';
import { resolveFeatureEngine } from './feature-engine.ts';
import { evaluateSource } from './fit-loop.ts';
import { imageStageOf, predictionSource } from './image-stage.ts';

/** Mean loss, accuracy and row-major [n, classes] probabilities of `split`'s images (preprocessed as `preprocess`). */
export async function evaluateSplit(model: LayersModel, split: ImageSplit, preprocess: PreprocessSpec, classes: number, batchSize = 32): Promise<ReturnType<typeof evaluateSource>> {
  const head = new Set(model.layers.filter((l) => l.name.startsWith(HEAD_PREFIX)).map((l) => l.name));
  const { prefix, top } = splitModel(model, head);
  // With an image stage (an ONNX base) the model's own input is already features.
  if (imageStageOf(model) || !prefix || split.labels.length === 0) return evaluateSource(model, await predictionSource(model, split, preprocess), classes, batchSize);
  const engine = await resolveFeatureEngine(model, prefix.outputs, 'auto');
  try {
    const r = await extract(new ImageSource(split.pixels, split.labels, preprocess), engine.run);
    return evaluateSource(top, new CachedSource([r.data], r.shapes, split.labels), classes, batchSize);
  } finally {
    await engine.dispose();
  }
}
