import { availableParallelism } from 'node:os';
import { averageViews, HeadstartError, ttaViews, type PreprocessSpec } from '@headstart/core';
import {
  parseHeadstartMetadata,
  readOnnxMetadata,
  resolveTopK,
  toPixelTensorData,
  topPredictions,
  answerOf,
  type ClassifierBase,
  type ClassifyResult,
} from '../shared/index.ts';
import { decodeForModel } from './decode.ts';
import { planProviders, probeCuda, type NodeProvider } from './providers.ts';
import { createSession, ortSessionOptions, readModelBytes, type SessionOptions } from './session.ts';
import { openWorkerSession } from './worker-session.ts';

/** Options of {@link createClassifier} (Node). */
export interface NodeClassifierOptions {
  provider?: NodeProvider;
  /** Intra-op threads (default: available cores, at most 4). */
  threads?: number;
  /** Inter-op threads (default 1: graphs here are sequential). */
  interOpThreads?: number;
  /**
   * Run the session in a worker thread (default false): inference then never blocks the caller's
   * event loop (servers stay responsive); costs one copy of the pixels per call.
   */
  worker?: boolean;
  /** Decoded-pixel cap for `classify` (default: core decodeImage's 100 MP). */
  maxPixels?: number;
  logger?: (msg: string) => void;
}

/** A classifier on onnxruntime-node. */
export interface Classifier extends ClassifierBase {
  /**
   * Decodes, resizes and classifies one encoded image; `tta`: as core's test-time-augmentation
   * views (itself, its mirror, two 90 % crops), probabilities averaged.
   */
  classify(image: Buffer | Uint8Array, opts?: { topK?: number; tta?: boolean }): Promise<ClassifyResult>;
  /** Decodes and resizes one encoded image to RGB uint8 at the model's input size. */
  decode(image: Buffer | Uint8Array): Promise<Uint8Array>;
  readonly inputName: string;
  readonly outputName: string;
}

/** The part of an onnxruntime session the classifier uses, in-process or in a worker thread. */
interface SessionLike {
  inputNames: readonly string[];
  outputNames: readonly string[];
  outputWidth(name: string): number | undefined;
  run(input: string, output: string, data: Float32Array, dims: number[]): Promise<Float32Array>;
  release(): Promise<void>;
}

async function inProcess(bytes: Uint8Array, options: SessionOptions): Promise<SessionLike> {
  const session = await createSession(bytes, options);
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    outputWidth(name) {
      const shape = session.shapeOf(name);
      const last = shape?.[shape.length - 1];
      return typeof last === 'number' ? last : undefined;
    },
    async run(input, output, data, dims) {
      const out = await session.run({ [input]: { data, dims } }, [output]);
      const t = out[output];
      if (t === undefined) throw new Error(`output "${output}" is missing`);
      return t.data;
    },
    release: () => session.release(),
  };
}

async function inWorker(bytes: Uint8Array, options: SessionOptions): Promise<SessionLike> {
  const w = await openWorkerSession(bytes, ortSessionOptions(options));
  return {
    inputNames: w.inputNames,
    outputNames: w.outputNames,
    outputWidth(name) {
      const width = w.outputWidths[w.outputNames.indexOf(name)];
      return width === undefined || width < 0 ? undefined : width;
    },
    run: (input, output, data, dims) => w.run(input, output, data, dims),
    release: () => w.release(),
  };
}

async function openSession(
  bytes: Uint8Array,
  providers: ('cuda' | 'cpu')[],
  threads: number,
  interOp: number,
  worker: boolean,
  log: (msg: string) => void,
  source: string,
): Promise<{ session: SessionLike; provider: string }> {
  const options: SessionOptions = { threads, interOpThreads: interOp, optimization: 'all', sequential: true, providers };
  try {
    const session = worker ? await inWorker(bytes, options) : await inProcess(bytes, options);
    return { session, provider: providers[0] ?? 'cpu' };
  } catch (cause) {
    if (providers[0] === 'cuda') {
      log(`onnxruntime: CUDA session failed (${(cause as Error).message}); falling back to cpu`);
      return openSession(bytes, ['cpu'], threads, interOp, worker, log, source);
    }
    throw new HeadstartError('MODEL_INVALID', `${source}: onnxruntime could not load the model: ${(cause as Error).message}`, {
      cause,
      details: { file: source },
    });
  }
}

/**
 * Loads an exported Headstart ONNX model (path or bytes) into an onnxruntime-node session, reads
 * labels and preprocessing from its metadata, warms it up, and resolves when it is ready.
 * @example
 *   const clf = await createClassifier('runs/flowers/model.onnx');
 *   const { predictions } = await clf.classify(await readFile('rose.jpg'), { topK: 3 });
 */
export async function createClassifier(model: string | Uint8Array, opts: NodeClassifierOptions = {}): Promise<Classifier> {
  const log = opts.logger ?? (() => undefined);
  const source = typeof model === 'string' ? model : '<onnx bytes>';
  const bytes = await readModelBytes(model);
  const metadata = readOnnxMetadata(bytes);
  const plan = planProviders(opts.provider ?? 'auto', probeCuda());
  const threads = Math.max(1, Math.floor(opts.threads ?? Math.min(4, availableParallelism())));
  const interOp = Math.max(1, Math.floor(opts.interOpThreads ?? 1));
  const worker = opts.worker === true;
  const { session, provider } = await openSession(bytes, plan.providers, threads, interOp, worker, log, source);
  log(`onnxruntime: execution provider ${provider} (${plan.reason}); threads intra=${threads} inter=${interOp}${worker ? '; in a worker thread' : ''}`);

  const inputName = session.inputNames.includes('pixels') ? 'pixels' : session.inputNames[0];
  const outputName = session.outputNames.includes('probabilities') ? 'probabilities' : session.outputNames[0];
  if (inputName === undefined || outputName === undefined) {
    await session.release();
    throw new HeadstartError('MODEL_INVALID', `${source}: the graph has no inputs or outputs`, { details: { file: source } });
  }
  let info;
  try {
    info = parseHeadstartMetadata(metadata, session.outputWidth(outputName));
  } catch (e) {
    await session.release();
    throw e;
  }
  const { labels, inputSize } = info;
  const preprocess: PreprocessSpec = info.preprocess;
  const maxPixels = opts.maxPixels;

  const runPixels = async (rgb: Float32Array | Uint8Array, count: number): Promise<Float32Array> => {
    const data = toPixelTensorData(rgb, count, inputSize);
    let result: Float32Array;
    try {
      result = await session.run(inputName, outputName, data, [count, inputSize[0], inputSize[1], 3]);
    } catch (cause) {
      throw new HeadstartError('INFERENCE_FAILED', `${source}: inference failed: ${(cause as Error).message}`, { cause });
    }
    if (result.length !== count * labels.length) {
      throw new HeadstartError('SPEC_MISMATCH', `${source}: output has ${result.length} values for ${count} images, but metadata lists ${labels.length} labels`);
    }
    return result;
  };

  await runPixels(new Float32Array(inputSize[0] * inputSize[1] * 3), 1);

  const decode = (image: Buffer | Uint8Array): Promise<Uint8Array> => decodeForModel(image, preprocess, maxPixels === undefined ? {} : { maxPixels });

  return {
    provider,
    labels,
    preprocess,
    inputSize,
    ...(info.unknownBelow !== undefined ? { unknownBelow: info.unknownBelow } : {}),
    metadata,
    inputName,
    outputName,
    runPixels,
    decode,
    async classify(image, o = {}) {
      const t0 = performance.now();
      const rgb = await decode(image);
      const t1 = performance.now();
      const views = o.tta ? ttaViews(rgb, inputSize) : [rgb];
      const input = new Uint8Array(rgb.length * views.length);
      views.forEach((v, i) => input.set(v, i * rgb.length));
      const raw = await runPixels(input, views.length);
      const probs = views.length > 1 ? averageViews(raw, views.length, labels.length) : raw;
      const t2 = performance.now();
      const predictions = topPredictions(probs, labels, resolveTopK(o.topK, labels.length));
      return {
        predictions,
        ...answerOf(predictions, info.unknownBelow),
        timings: { decodeMs: t1 - t0, inferenceMs: t2 - t1 },
      };
    },
    async dispose() {
      await session.release();
    },
  };
}
