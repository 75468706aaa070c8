import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import type { ArtifactSource, WeightSpec } from '@headstart/core';

export { tf, tfl };

let ready: Promise<boolean> | undefined;
/** Selects the pure-JS cpu backend once (quietly). */
export function initTf(): Promise<boolean> {
  tf.env().set('IS_TEST', true);
  ready ??= tf.setBackend('cpu');
  return ready;
}

/** Seeded uniform generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random pixels 0..255, NHWC. */
export function randomPixels(n: number, h: number, w: number, c: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n * h * w * c }, () => Math.floor(r() * 256));
}

/** Replaces every weight with seeded random values (BN variances kept positive) so no layer is a no-op. */
export function randomizeWeights(model: tfl.LayersModel, seed: number, scale = 0.5): void {
  const r = rng(seed);
  const values = model.weights.map((w) => {
    const shape = w.shape.map((d) => d ?? 1);
    const n = shape.reduce((a, b) => a * b, 1);
    const positive = /moving_variance|variance/.test(w.name);
    const gamma = /gamma/.test(w.name);
    const data = Float32Array.from({ length: n }, () => (positive ? 0.5 + r() : gamma ? 0.5 + r() : (r() * 2 - 1) * scale));
    return tf.tensor(data, shape);
  });
  model.setWeights(values);
  values.forEach((v) => v.dispose());
}

/** The model as an in-memory artifact (what model.save writes). */
export async function artifactsOf(model: tfl.LayersModel): Promise<ArtifactSource & { modelTopology: Record<string, unknown> }> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      captured = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const a = captured!;
  return {
    modelTopology: a.modelTopology as Record<string, unknown>,
    weightSpecs: (a.weightSpecs ?? []) as WeightSpec[],
    weightData: a.weightData as ArrayBuffer,
  };
}

/** Runs a layers model on NHWC input with the cpu backend. */
export function predict(model: tfl.LayersModel, x: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync() as Float32Array);
}
