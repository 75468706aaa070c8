import { HeadstartError } from '@headstart/core';
import { probeImage } from '@headstart/core-node';
import type { AppContext } from './context.ts';
import type { ModelVersion } from './registry.ts';

/** Probabilities for a block of images plus where the time went (ms). */
export interface PredictOutcome {
  probabilities: Float32Array;
  count: number;
  timings: { decodeMs: number; queueMs: number; inferenceMs: number; batchSize: number };
}

function checkDeadline(deadlineAt: number): void {
  if (performance.now() > deadlineAt) throw new HeadstartError('DEADLINE_EXCEEDED', 'prediction did not finish within the request deadline');
}

/** Runs already-decoded RGB uint8 pixels (count images at the model's size) through the model's batcher. */
export async function predictPixels(ctx: AppContext, model: ModelVersion, rgb: Uint8Array, count: number, deadlineAt: number, decodeMs = 0): Promise<PredictOutcome> {
  checkDeadline(deadlineAt);
  const r = await model.batcher.submit(rgb, count, deadlineAt);
  const label = model.name;
  ctx.metrics.stageSeconds.observe({ stage: 'queue', model: label }, r.queueMs / 1000);
  ctx.metrics.stageSeconds.observe({ stage: 'inference', model: label }, r.inferenceMs / 1000);
  return { probabilities: r.probabilities, count, timings: { decodeMs, queueMs: r.queueMs, inferenceMs: r.inferenceMs, batchSize: r.batchSize } };
}

/** Decodes encoded images (EXIF-oriented, resized per the model's spec) and predicts them as one block. */
export async function predictImages(ctx: AppContext, model: ModelVersion, images: Buffer[], deadlineAt: number): Promise<PredictOutcome> {
  if (images.length > ctx.limits.maxBatch) {
    throw new HeadstartError('USAGE', `${images.length} images in one request; the server takes at most ${ctx.limits.maxBatch}`);
  }
  // Headers only (no pixels yet): refuses bombs with IMAGE_TOO_LARGE and sizes the decode budget.
  const infos = await Promise.all(images.map((img, i) => probeImage(img, { maxPixels: ctx.limits.maxPixels, source: `image ${i}` })));
  const pixels = infos.reduce((s, info) => s + info.width * info.height, 0);
  const t0 = performance.now();
  const decoded = await ctx.decodeGate.run(pixels, images.length, deadlineAt, () => Promise.all(images.map((img) => model.classifier.decode(img))));
  const decodeMs = performance.now() - t0;
  ctx.metrics.stageSeconds.observe({ stage: 'decode', model: model.name }, decodeMs / 1000);
  const size = decoded[0]?.length ?? 0;
  const rgb = new Uint8Array(size * decoded.length);
  decoded.forEach((d, i) => rgb.set(d, i * size));
  return predictPixels(ctx, model, rgb, decoded.length, deadlineAt, decodeMs);
}
