/**
 * The trainer's half of `train --queue`: the frozen prefixes go to the queue as ONNX bytes (by
 * hash), the images in chunk jobs that pin preprocessing, augmentation and pass seeds; workers run
 * them (feature-chunk.ts) and the gathered activations fill the same arrays a local pass would.
 * Every finished chunk is also kept in the run folder, so a run stopped by a lost Redis resumes
 * with `--resume` without recomputing it.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BULK_DEFAULTS, FeatureChunkResultSchema, HeadstartError, type AugmentSpec, type EventSink, type FeatureChunkJob, type FeatureChunkResult, type PhaseName, type PrefixRef, type PreprocessSpec } from '@headstart/core';
import { writeFileAtomic } from '@headstart/core-node';
import { EXTRACT_BATCH } from '../data/sources.ts';
import type { LayersModel, SymbolicTensor } from '../tf.ts';
import { decodeFloats, sha256Of } from './feature-chunk.ts';
import { prefixOnnx } from './feature-engine.ts';

/** A chunk job for the queue: a stable id (same work ⇒ same id) and its payload. */
export interface FeatureJob {
  id: string;
  data: FeatureChunkJob;
}

/** What `train --queue` needs from a chunk queue (the CLI wires @headstart/queue to it). */
export interface FeatureQueue {
  /** Stores bytes where workers fetch them by their `sha256:` name; resolves to that name. */
  publish(bytes: Uint8Array): Promise<string>;
  /** Runs the jobs on workers and calls `onResult` once per job as each finishes (any order). */
  run(jobs: readonly FeatureJob[], onResult: (job: FeatureJob, result: unknown) => Promise<void>): Promise<void>;
  /** Images per chunk job (default BULK_DEFAULTS.featureChunkSize); rounded up to a multiple of the extraction batch. */
  chunkSize?: number;
}

/** Augmented pass p of a cache uses createRng(seed).fork(AUGMENTED_PASS_STREAM + p), locally and on workers. */
export const AUGMENTED_PASS_STREAM = 5000;

/** What a queued cache computation needs from its run. */
export interface QueuedCacheInput {
  queue: FeatureQueue;
  runDir: string;
  phase: PhaseName;
  model: LayersModel;
  outputs: SymbolicTensor[];
  preprocess: PreprocessSpec;
  augment?: AugmentSpec;
  seed: number;
  passes: number;
  train: Uint8Array[];
  val: Uint8Array[];
  onEvent: EventSink;
}

/** Activations of every requested output: `train[p][k]` for pass p, `val[k]`, one sample's `shapes[k]`. */
export interface GatheredCaches {
  train: Float32Array[][];
  val?: Float32Array[];
  shapes: number[][];
}

const jobIdOf = (job: FeatureChunkJob): string => {
  const { pixels, ...rest } = job;
  const h = createHash('sha256').update(JSON.stringify(rest)).update('\n').update(pixels).digest('hex');
  return `features-${h.slice(0, 40)}`;
};

/** The prefixes of `outputs` as ONNX published to the queue; a prefix that does not convert cannot run on workers. */
async function publishPrefixes(model: LayersModel, outputs: SymbolicTensor[], queue: FeatureQueue): Promise<{ prefixes: PrefixRef[]; refs: FeatureChunkJob['outputs'] }> {
  const input = model.inputs[0] as SymbolicTensor;
  const index = new Map<SymbolicTensor, number>();
  const prefixes: PrefixRef[] = [];
  for (const o of outputs) {
    if (o === input || index.has(o)) continue;
    let p;
    try {
      p = await prefixOnnx(model, o);
    } catch (e) {
      throw new HeadstartError('MODEL_INVALID', `--queue: the frozen prefix up to ${o.name} does not convert to ONNX, so workers cannot run it (${(e as Error).message}); train without --queue`, { cause: e });
    }
    const sha256 = await queue.publish(p.bytes);
    if (sha256 !== sha256Of(p.bytes)) throw new HeadstartError('UNAVAILABLE', `--queue: the queue stored the frozen prefix as ${sha256}, expected ${sha256Of(p.bytes)}`);
    index.set(o, prefixes.length);
    prefixes.push({ sha256, shape: p.outputShape });
  }
  return { prefixes, refs: outputs.map((o) => (o === input ? { input: true as const } : { prefix: index.get(o) as number })) };
}

/** Runs the cache pass of a phase on queue workers; returns the activations a local pass would compute. */
export async function gatherQueuedCaches(inp: QueuedCacheInput): Promise<GatheredCaches> {
  const { queue, onEvent, phase } = inp;
  const [h, w] = inp.preprocess.size;
  const per = h * w * 3;
  const size = Math.ceil((queue.chunkSize ?? BULK_DEFAULTS.featureChunkSize) / EXTRACT_BATCH) * EXTRACT_BATCH;
  const { prefixes, refs } = await publishPrefixes(inp.model, inp.outputs, queue);
  const trainPasses = Array.from({ length: 1 + inp.passes }, (_, p) => p);
  const jobs: { job: FeatureJob; split: 'train' | 'val' }[] = [];
  for (const split of ['train', 'val'] as const) {
    const images = inp[split];
    for (let from = 0; from < images.length; from += size) {
      const count = Math.min(size, images.length - from);
      const pixels = new Uint8Array(count * per);
      for (let i = 0; i < count; i++) pixels.set(images[from + i] as Uint8Array, i * per);
      const data: FeatureChunkJob = {
        kind: 'features',
        outputs: refs,
        prefixes,
        preprocess: inp.preprocess,
        ...(inp.augment ? { augment: inp.augment } : {}),
        seed: inp.seed,
        passStreamBase: AUGMENTED_PASS_STREAM,
        passes: split === 'train' ? trainPasses : [0],
        from,
        count,
        batchSize: EXTRACT_BATCH,
        pixels: Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength).toString('base64'),
      };
      jobs.push({ job: { id: jobIdOf(data), data }, split });
    }
  }
  const total = inp.train.length * trainPasses.length + inp.val.length;
  const t0 = Date.now();
  let done = 0;
  onEvent({ type: 'cache', phase, stage: 'begin', done: 0, total, queue: true });
  const out: { train: Float32Array[][]; val: Float32Array[]; shapes: number[][] } = { train: [], val: [], shapes: [] };
  const place = (entry: { job: FeatureJob; split: 'train' | 'val' }, result: FeatureChunkResult): void => {
    const { from, count } = entry.job.data;
    const n = inp[entry.split].length;
    result.passes.forEach((outs, pi) => {
      if (out.shapes.length === 0) out.shapes = outs.map((o) => o.shape);
      const target = entry.split === 'train' ? (out.train[pi] ??= []) : out.val;
      outs.forEach((o, k) => {
        const sz = o.shape.reduce((a, b) => a * b, 1);
        const values = decodeFloats(o.data);
        if (values.length !== count * sz) throw new HeadstartError('SPEC_MISMATCH', `feature chunk ${entry.job.id}: ${values.length} values for ${count} images of shape ${o.shape.join('×')}`);
        (target[k] ??= new Float32Array(n * sz)).set(values, from * sz);
      });
    });
    done += count * result.passes.length;
    onEvent({ type: 'cache', phase, stage: 'progress', done, total, queue: true });
  };
  // Chunks kept by an earlier attempt of this run (a lost Redis), then the rest on the workers.
  const keep = join(inp.runDir, '.queue-features');
  await mkdir(keep, { recursive: true });
  const byId = new Map(jobs.map((j) => [j.job.id, j]));
  const todo: FeatureJob[] = [];
  for (const j of jobs) {
    const kept = await readFile(join(keep, `${j.job.id}.json`), 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (kept === undefined) todo.push(j.job);
    else place(j, FeatureChunkResultSchema.parse(JSON.parse(kept)));
  }
  await queue.run(todo, async (job, raw) => {
    const result = FeatureChunkResultSchema.parse(raw);
    await writeFileAtomic(join(keep, `${job.id}.json`), JSON.stringify(result));
    place(byId.get(job.id) as { job: FeatureJob; split: 'train' | 'val' }, result);
  });
  await rm(keep, { recursive: true, force: true });
  onEvent({ type: 'cache', phase, stage: 'end', done: total, total, seconds: (Date.now() - t0) / 1000, queue: true });
  return { train: out.train, ...(inp.val.length > 0 ? { val: out.val } : {}), shapes: out.shapes };
}
