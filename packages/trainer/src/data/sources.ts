/** Batch sources: cached boundary activations (with augmented passes) and raw images. */
import { applyPreprocess, type PreprocessSpec, type Rng } from '@headstart/core';
import type { BatchSource } from '../train/fit-loop.ts';
import { tfc } from '../tf.ts';

/** Cached activations: `passes[p][k]` holds boundary tensor k of pass p for all samples, row-major. */
export class CachedSource implements BatchSource {
  readonly count: number;
  constructor(
    readonly passes: Float32Array[][],
    readonly shapes: number[][],
    readonly labels: Int32Array,
  ) {
    this.count = labels.length;
  }

  batch(indices: number[], rng?: Rng): tfc.Tensor[] {
    const choice = indices.map(() => (rng && this.passes.length > 1 ? rng.int(this.passes.length) : 0));
    return this.shapes.map((shape, k) => {
      const per = shape.reduce((a, b) => a * b, 1);
      const out = new Float32Array(indices.length * per);
      indices.forEach((i, r) => {
        const src = (this.passes[choice[r] as number] as Float32Array[])[k] as Float32Array;
        out.set(src.subarray(i * per, (i + 1) * per), r * per);
      });
      return tfc.tensor(out, [indices.length, ...shape]);
    });
  }
}

/** Augments one image (RGB uint8, h×w) with a seeded stream. */
export type AugmentFn = (rgb: Uint8Array, h: number, w: number, rng: Rng) => Uint8Array;

/** Raw images, preprocessed (and optionally augmented) per batch. */
export class ImageSource implements BatchSource {
  readonly count: number;
  constructor(
    readonly pixels: Uint8Array[],
    readonly labels: Int32Array,
    readonly spec: PreprocessSpec,
    readonly augment?: AugmentFn,
  ) {
    this.count = labels.length;
  }

  /** Uint8 pixels of a batch, augmented when an rng is given and augmentation is on. */
  rgb(indices: number[], rng?: Rng): Uint8Array {
    const [h, w] = this.spec.size;
    const per = h * w * 3;
    const out = new Uint8Array(indices.length * per);
    indices.forEach((i, r) => {
      const px = this.pixels[i] as Uint8Array;
      out.set(rng && this.augment ? this.augment(px, h, w, rng.fork(i + 1)) : px, r * per);
    });
    return out;
  }

  batch(indices: number[], rng?: Rng): tfc.Tensor[] {
    const [h, w] = this.spec.size;
    const x = applyPreprocess(this.rgb(indices, rng), indices.length, this.spec);
    return [tfc.tensor4d(x, [indices.length, h, w, 3])];
  }
}

/** The batch size the caches are computed with (a queue chunk starts on a multiple of it, so its batch seeds line up). */
export const EXTRACT_BATCH = 32;

/**
 * Runs a model-like `run` (TF.js, or async like onnxruntime) over an image source in batches; row-major
 * outputs per output tensor. `from`/`to` restrict it to images [from, to) (a queue chunk): batches start
 * at `from`, so with `from` a multiple of the batch size every batch and its seed equal the full run's.
 */
export async function extract(
  src: ImageSource,
  run: (x: tfc.Tensor) => tfc.Tensor[] | Promise<tfc.Tensor[]>,
  opts: { rng?: Rng; batchSize?: number; from?: number; to?: number; onProgress?: (done: number) => void } = {},
): Promise<{ data: Float32Array[]; shapes: number[][] }> {
  const bs = opts.batchSize ?? EXTRACT_BATCH;
  const from = opts.from ?? 0;
  const to = opts.to ?? src.count;
  let data: Float32Array[] = [];
  let shapes: number[][] = [];
  for (let s = from; s < to; s += bs) {
    const idx = Array.from({ length: Math.min(bs, to - s) }, (_, k) => s + k);
    const [x] = src.batch(idx, opts.rng?.fork(s + 1));
    const outs = await run(x as tfc.Tensor);
    if (s === from) {
      shapes = outs.map((o) => o.shape.slice(1));
      data = shapes.map((sh) => new Float32Array((to - from) * sh.reduce((a, b) => a * b, 1)));
    }
    outs.forEach((o, k) => {
      const per = (shapes[k] as number[]).reduce((a, b) => a * b, 1);
      (data[k] as Float32Array).set(o.dataSync() as Float32Array, (s - from) * per);
      o.dispose();
    });
    x?.dispose();
    opts.onProgress?.(Math.min(to, s + bs) - from);
  }
  return { data, shapes };
}
