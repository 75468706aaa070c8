import { HeadstartError, ONNX_CAM_OUTPUT, parseHeadstartMetadata, readOnnxMetadata } from '@headstart/core';
import type { InferenceSession, Tensor } from 'onnxruntime-web';
import { imageToModelPixels, type WebImageSource } from './decode.ts';
import { answerOf, topPredictions, type Prediction } from '../shared/predictions.ts';
import { toPixelTensorData } from '../shared/pixels.ts';
import type { ClassifierBase } from '../shared/types.ts';

/** Execution provider requested from onnxruntime-web. */
export type WebProvider = 'auto' | 'webgpu' | 'wasm';

/** Options of the web `createClassifier`. */
export interface WebClassifierOptions {
  provider?: WebProvider;
  /** Where onnxruntime-web loads its .wasm/.mjs from (ort.env.wasm.wasmPaths): the app's own served files. */
  wasmPaths?: string | { wasm?: string | URL; mjs?: string | URL };
  /** wasm threads; default: up to 4 when crossOriginIsolated, else 1. */
  threads?: number;
  /** Decoded-pixel limit per image (decompression bombs). */
  maxPixels?: number;
  logger?: (msg: string) => void;
}

/** Result of classifying one image in the browser. */
export interface WebClassification {
  predictions: Prediction[];
  /** The top label, or "unknown" below the model's threshold (the top label stays first in `predictions`). */
  label: string;
  unknown: boolean;
  timings: { decodeMs: number; inferenceMs: number };
  /** The RGB uint8 pixels fed to the model (spec.size), e.g. to show what the model saw. */
  pixels: Uint8Array;
  /** The model's Grad-CAM output for this image ([h, w, classes], before ReLU), when it has one. */
  cam?: { data: Float32Array; height: number; width: number; classes: number };
}

/** A loaded ONNX classifier running on onnxruntime-web. */
export interface WebClassifier extends ClassifierBase {
  readonly provider: 'webgpu' | 'wasm';
  /** wasm threads in use (0 on WebGPU). */
  readonly threads: number;
  /** True when the model has the Grad-CAM output `cam` (exported heads without dense blocks). */
  readonly hasCam: boolean;
  /** Decodes, resizes (per the spec) and classifies one image. */
  classify(image: WebImageSource, opts?: { topK?: number }): Promise<WebClassification>;
}

type Ort = typeof import('onnxruntime-web');

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

async function loadBytes(model: Uint8Array | string): Promise<Uint8Array> {
  if (typeof model !== 'string') return model;
  let res: Response;
  try {
    res = await fetch(model);
  } catch (cause) {
    throw new HeadstartError('MODEL_NOT_FOUND', `Could not download the model from ${model}: ${String(cause)}`, { cause });
  }
  if (!res.ok) throw new HeadstartError('MODEL_NOT_FOUND', `Downloading the model from ${model} failed: HTTP ${res.status}.`);
  return new Uint8Array(await res.arrayBuffer());
}

interface GpuAdapterLike {
  isFallbackAdapter?: boolean;
  info?: { isFallbackAdapter?: boolean };
}

/** 'hardware' | 'fallback' (a software adapter such as SwiftShader) | 'none'. */
async function webGpuAdapterKind(): Promise<'hardware' | 'fallback' | 'none'> {
  const nav = typeof navigator === 'undefined' ? undefined : (navigator as Navigator & { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } });
  if (!nav?.gpu) return 'none';
  try {
    const adapter = await nav.gpu.requestAdapter();
    if (!adapter) return 'none';
    return (adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter) === true ? 'fallback' : 'hardware';
  } catch {
    return 'none';
  }
}

function defaultThreads(): number {
  const isolated = typeof crossOriginIsolated !== 'undefined' && crossOriginIsolated;
  if (!isolated) return 1;
  const cores = typeof navigator !== 'undefined' && navigator.hardwareConcurrency ? navigator.hardwareConcurrency : 2;
  return Math.max(1, Math.min(4, cores));
}

let configured = false;

function configureWasm(ort: Ort, opts: WebClassifierOptions): number {
  // ort.env.wasm is read once, when the first session initialises the runtime.
  if (!configured) {
    if (opts.wasmPaths !== undefined) ort.env.wasm.wasmPaths = opts.wasmPaths;
    ort.env.wasm.numThreads = opts.threads ?? defaultThreads();
    configured = true;
  }
  return ort.env.wasm.numThreads ?? 1;
}

/**
 * Loads a Headstart ONNX file (bytes or URL) into onnxruntime-web: WebGPU when a hardware adapter
 * exists (provider 'auto'; 'webgpu' also accepts a software adapter), else wasm (multi-threaded when
 * the page is cross-origin isolated).
 * @example
 *   const clf = await createClassifier('/v1/models/fashion/versions/1/model.onnx', { wasmPaths: '/ort/' });
 *   const { predictions } = await clf.classify(file);
 */
export async function createClassifier(model: Uint8Array | string, opts: WebClassifierOptions = {}): Promise<WebClassifier> {
  const log = opts.logger ?? (() => undefined);
  const bytes = await loadBytes(model);
  const metadata = readOnnxMetadata(bytes);
  const ort: Ort = await import('onnxruntime-web');
  const threads = configureWasm(ort, opts);
  const want = opts.provider ?? 'auto';

  let session: InferenceSession | undefined;
  let provider: 'webgpu' | 'wasm' = 'wasm';
  if (want !== 'wasm') {
    const kind = await webGpuAdapterKind();
    // 'auto' skips software adapters (wasm is faster than emulated WebGPU); 'webgpu' takes any.
    const gpu = kind === 'hardware' || (kind === 'fallback' && want === 'webgpu');
    if (gpu) {
      try {
        session = await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'], graphOptimizationLevel: 'all' });
        provider = 'webgpu';
      } catch (cause) {
        if (want === 'webgpu') throw new HeadstartError('BACKEND_UNAVAILABLE', `WebGPU session creation failed: ${String(cause)}`, { cause });
        log(`webgpu: session creation failed (${String(cause)}); using wasm`);
      }
    } else if (want === 'webgpu') {
      throw new HeadstartError('BACKEND_UNAVAILABLE', 'WebGPU was requested but this browser has no WebGPU adapter; use provider "wasm" or "auto".');
    } else {
      log(kind === 'fallback' ? 'webgpu: only a software (fallback) adapter; using wasm' : 'webgpu: no adapter; using wasm');
    }
  }
  if (!session) {
    try {
      session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    } catch (cause) {
      throw new HeadstartError('MODEL_INVALID', `onnxruntime-web could not load the model: ${String(cause)}`, { cause });
    }
  }
  const s = session;
  const inputName = s.inputNames[0];
  const outputName = s.outputNames.includes('probabilities') ? 'probabilities' : s.outputNames[0];
  if (inputName === undefined || outputName === undefined) {
    throw new HeadstartError('MODEL_INVALID', 'The ONNX model has no inputs or outputs.');
  }
  const outMeta = s.outputMetadata.find((m) => m.name === outputName);
  const lastDim = outMeta?.isTensor ? outMeta.shape[outMeta.shape.length - 1] : undefined;
  const info = parseHeadstartMetadata(metadata, typeof lastDim === 'number' ? lastDim : undefined);
  const [h, w] = info.inputSize;
  log(`onnxruntime-web ${provider}${provider === 'wasm' ? ` (${threads} thread${threads === 1 ? '' : 's'})` : ''}`);

  const camName = s.outputNames.includes(ONNX_CAM_OUTPUT) ? ONNX_CAM_OUTPUT : undefined;

  // onnxruntime-web sessions must not run concurrently: chain runs.
  let queue: Promise<unknown> = Promise.resolve();
  const runOutputs = (rgb: Float32Array | Uint8Array, count: number, withCam: boolean): Promise<{ probs: Float32Array; cam?: Tensor }> => {
    let data: Float32Array;
    try {
      data = toPixelTensorData(rgb, count, info.inputSize);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    const fetches = withCam && camName !== undefined ? [outputName, camName] : [outputName];
    const run = queue.then(async () => {
      const feeds: Record<string, Tensor> = { [inputName]: new ort.Tensor('float32', data, [count, h, w, 3]) };
      let out: Tensor | undefined;
      let cam: Tensor | undefined;
      try {
        const results = await s.run(feeds, fetches);
        out = results[outputName];
        cam = camName === undefined ? undefined : results[camName];
      } catch (cause) {
        throw new HeadstartError('INFERENCE_FAILED', `onnxruntime-web (${provider}) failed to run the model: ${String(cause)}`, { cause });
      }
      if (!out || out.type !== 'float32') throw new HeadstartError('INFERENCE_FAILED', `Output "${outputName}" is missing or not float32.`);
      return { probs: Float32Array.from(out.data as Float32Array), ...(cam ? { cam } : {}) };
    });
    queue = run.catch(() => undefined);
    return run;
  };
  const runPixels = async (rgb: Float32Array | Uint8Array, count: number): Promise<Float32Array> => (await runOutputs(rgb, count, false)).probs;

  return {
    provider,
    threads: provider === 'wasm' ? threads : 0,
    hasCam: camName !== undefined,
    labels: info.labels,
    preprocess: info.preprocess,
    inputSize: info.inputSize,
    ...(info.unknownBelow !== undefined ? { unknownBelow: info.unknownBelow } : {}),
    metadata,
    runPixels,
    async classify(image, copts = {}) {
      const t0 = now();
      const pixels = await imageToModelPixels(image, { ...info.preprocess, size: info.inputSize }, { maxPixels: opts.maxPixels });
      const t1 = now();
      const { probs, cam } = await runOutputs(pixels, 1, true);
      const t2 = now();
      const predictions = topPredictions(probs, info.labels, copts.topK ?? 5);
      if (!cam || cam.type !== 'float32' || cam.dims.length !== 4) return { predictions, ...answerOf(predictions, info.unknownBelow), timings: { decodeMs: t1 - t0, inferenceMs: t2 - t1 }, pixels };
      const [, ch, cw, classes] = cam.dims as [number, number, number, number];
      return { predictions, ...answerOf(predictions, info.unknownBelow), timings: { decodeMs: t1 - t0, inferenceMs: t2 - t1 }, pixels, cam: { data: Float32Array.from(cam.data as Float32Array), height: ch, width: cw, classes } };
    },
    async dispose() {
      await s.release();
    },
  };
}
