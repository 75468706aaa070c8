/**
 * The worker's half of `train --queue`: one feature chunk job (core's FeatureChunkJobSchema) run
 * through the same code as a local cache: ImageSource (augmentation + preprocessing), `extract`
 * with the job's batch seeds, and the onnxruntime prefix runner on the prefixes fetched by hash.
 */
import { sha256 } from '@headstart/exporter';
import { augment as coreAugment, createRng, FeatureChunkJobSchema, HeadstartError, type FeatureChunkResult, type PrefixRef } from '@headstart/core';
import { extract, ImageSource, type AugmentFn } from '../data/sources.ts';
import { onnxPrefixRunner, type OnnxOutput } from './feature-engine.ts';
import { openOnnxFeatureExtractor, type OnnxFeatureExtractor } from './onnx-features.ts';

/** `sha256:<hex>` of some bytes: the name prefixes travel under. */
export function sha256Of(bytes: Uint8Array): string {
  return `sha256:${sha256(bytes)}`;
}

/** Float32 values as base64 (little-endian, as Float32Array stores them here). */
export function encodeFloats(x: Float32Array): string {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64');
}

/** The inverse of {@link encodeFloats}. */
export function decodeFloats(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

/** Fetches the bytes stored under a `sha256:` name (the worker's Redis). */
export type FetchPrefix = (sha256: string) => Promise<Uint8Array>;

/** Prefix sessions a worker keeps open across chunks, by hash. */
export class PrefixSessions {
  private readonly open = new Map<string, Promise<OnnxFeatureExtractor>>();
  constructor(
    private readonly fetch: FetchPrefix,
    private readonly threads?: number,
  ) {}

  /** The session for `ref` (input [N, h, w, 3]); the fetched bytes must hash to `ref.sha256`. */
  get(ref: PrefixRef, size: readonly [number, number]): Promise<OnnxFeatureExtractor> {
    let s = this.open.get(ref.sha256);
    if (s === undefined) {
      s = (async () => {
        const bytes = await this.fetch(ref.sha256);
        const got = sha256Of(bytes);
        if (got !== ref.sha256) throw new HeadstartError('SPEC_MISMATCH', `the frozen prefix fetched for ${ref.sha256} hashes to ${got}: not the trainer's base; re-run the trainer`);
        return openOnnxFeatureExtractor(bytes, [-1, size[0], size[1], 3], [-1, ...ref.shape], this.threads);
      })();
      s.catch(() => this.open.delete(ref.sha256));
      this.open.set(ref.sha256, s);
    }
    return s;
  }

  /** Releases every session. */
  async dispose(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map(async (s) => (await s).dispose().catch(() => undefined)));
  }
}

/** Runs one feature chunk job (validated) and returns its result and image count. */
export async function processFeatureChunk(data: unknown, sessions: PrefixSessions): Promise<{ result: FeatureChunkResult; items: number }> {
  const job = FeatureChunkJobSchema.parse(data);
  const [h, w] = job.preprocess.size;
  const per = h * w * 3;
  const bytes = Buffer.from(job.pixels, 'base64');
  if (bytes.byteLength !== job.count * per) throw new HeadstartError('SPEC_MISMATCH', `feature chunk: ${bytes.byteLength} pixel bytes for ${job.count} images of ${h}×${w}×3`);
  // Images at their indices in the split, so augmentation seeds (per image index) equal the local run's.
  const pixels: Uint8Array[] = new Array<Uint8Array>(job.from + job.count);
  for (let i = 0; i < job.count; i++) pixels[job.from + i] = new Uint8Array(bytes.buffer, bytes.byteOffset + i * per, per);
  const spec = job.augment;
  const augmentFn: AugmentFn | undefined = spec ? (px, hh, ww, r) => coreAugment(px, hh, ww, spec, r) : undefined;
  const src = new ImageSource(pixels, new Int32Array(job.from + job.count), job.preprocess, augmentFn);
  const fxs = await Promise.all(job.prefixes.map(async (ref) => ({ fx: await sessions.get(ref, [h, w]), shape: ref.shape })));
  const outputs: OnnxOutput[] = job.outputs.map((o) => ('input' in o ? null : (fxs[o.prefix] as OnnxOutput)));
  const run = onnxPrefixRunner(outputs);
  const passes: FeatureChunkResult['passes'] = [];
  for (const p of job.passes) {
    const rng = p > 0 && augmentFn ? createRng(job.seed).fork(job.passStreamBase + p) : undefined;
    const r = await extract(src, run, { ...(rng ? { rng } : {}), batchSize: job.batchSize, from: job.from, to: job.from + job.count });
    passes.push(r.data.map((d, k) => ({ shape: r.shapes[k] as number[], data: encodeFloats(d) })));
  }
  return { result: { passes }, items: job.count * job.passes.length };
}
