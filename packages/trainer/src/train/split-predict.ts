/**
 * Class probabilities of a split of images under a finished model, computed the way training's
 * validation computes them: the part below the head (the base up to its cut, or the scratch CNN)
 * on onnxruntime when it converts (else on TF.js, as the caches fall back), then the head on TF.js.
 * Calibration, evaluation and test-time augmentation run through here; running the whole model on
 * TF.js cost the demo ~4 s of its 36.
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

/** Row-major [n, classes] probabilities of `split`'s images (preprocessed as `preprocess`), batch by batch. */
export async function predictSplit(model: LayersModel, split: ImageSplit, preprocess: PreprocessSpec, classes: number, batchSize = 32): Promise<Float32Array> {
  const head = new Set(model.layers.filter((l) => l.name.startsWith(HEAD_PREFIX)).map((l) => l.name));
  const { prefix, top } = splitModel(model, head);
  // With an image stage (an ONNX base) the model's own input is already features.
  if (imageStageOf(model) || !prefix || split.labels.length === 0) return evaluateSource(model, await predictionSource(model, split, preprocess), classes, batchSize).probs;
  const engine = await resolveFeatureEngine(model, prefix.outputs, 'auto');
  try {
    const r = await extract(new ImageSource(split.pixels, split.labels, preprocess), engine.run);
    return evaluateSource(top, new CachedSource([r.data], r.shapes, split.labels), classes, batchSize).probs;
  } finally {
    await engine.dispose();
  }
}
