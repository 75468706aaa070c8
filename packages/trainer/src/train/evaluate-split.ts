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

/** Images whose features are held at once (a 224-px base's 7×7×1280 map is 250 KB an image). */
const CHUNK = 256;

/** Mean loss, accuracy and row-major [n, classes] probabilities of `split`'s images (preprocessed as `preprocess`). */
export async function evaluateSplit(model: LayersModel, split: ImageSplit, preprocess: PreprocessSpec, classes: number, batchSize = 32): Promise<ReturnType<typeof evaluateSource>> {
  const head = new Set(model.layers.filter((l) => l.name.startsWith(HEAD_PREFIX)).map((l) => l.name));
  const { prefix, top } = splitModel(model, head);
  // With an image stage (an ONNX base) the model's own input is already features.
  if (imageStageOf(model) || !prefix || split.labels.length === 0) return evaluateSource(model, await predictionSource(model, split, preprocess), classes, batchSize);
  const engine = await resolveFeatureEngine(model, prefix.outputs, 'auto');
  try {
    const n = split.labels.length;
    const probs = new Float32Array(n * classes);
    let loss = 0;
    let correct = 0;
    // Chunk by chunk, so a large evaluation never holds every image's features.
    for (let from = 0; from < n; from += CHUNK) {
      const to = Math.min(n, from + CHUNK);
      const labels = split.labels.subarray(from, to);
      const r = await extract(new ImageSource(split.pixels.slice(from, to), labels, preprocess), engine.run);
      const part = evaluateSource(top, new CachedSource([r.data], r.shapes, labels), classes, batchSize);
      probs.set(part.probs, from * classes);
      loss += part.loss * (to - from);
      correct += Math.round(part.acc * (to - from));
    }
    // Counts, not rates, add up: the accuracy is exactly what one pass over the split gives.
    return { loss: loss / n, acc: correct / n, probs };
  } finally {
    await engine.dispose();
  }
}
