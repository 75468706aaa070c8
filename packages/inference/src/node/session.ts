/**
 * The session factory: every onnxruntime-node session in Headstart is opened here (the
 * classifier, the trainer's feature extraction, the export parity check, ONNX bases).
 */
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { HeadstartError } from '@headstart/core';

/** A float32 tensor going into or out of a session. */
export interface FloatTensor {
  data: Float32Array;
  dims: readonly number[];
}

/** Options of {@link createSession}. */
export interface SessionOptions {
  /** Intra-op threads (default: onnxruntime's choice). */
  threads?: number;
  /** Inter-op threads (default: onnxruntime's choice). */
  interOpThreads?: number;
  /** Execution providers in order (default ['cpu']). */
  providers?: ('cuda' | 'cpu')[];
  /** Graph optimisation level (default 'all'). */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Run nodes one after another (default false: onnxruntime's default). */
  sequential?: boolean;
  /** Profile every run (per-node times); onnxruntime writes `<profile>_<date>.json` on `endProfiling`. */
  profile?: string;
  /**
   * Let idle intra-op threads spin between runs (default true: onnxruntime's default). Off for a
   * session whose runs alternate with other CPU work of the process (a training step's optimizer
   * update), which the spinning threads would otherwise keep from a core.
   */
  spin?: boolean;
}

/** An open onnxruntime-node session with float32 inputs and outputs. */
export interface OnnxSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Declared shape of a graph input or output (symbolic dims as strings; undefined for non-tensors or unknown names). */
  shapeOf(name: string): readonly (number | string)[] | undefined;
  /** Runs the graph; returns the requested outputs (default: all). */
  run(feeds: Record<string, FloatTensor>, outputs?: readonly string[]): Promise<Record<string, FloatTensor>>;
  release(): Promise<void>;
  /** Ends profiling and writes its file (sessions opened with `profile`). */
  endProfiling?(): void;
}

/** The bytes of an ONNX model given as a path or as bytes (MODEL_NOT_FOUND naming the file when it cannot be read). */
export async function readModelBytes(model: string | Uint8Array): Promise<Uint8Array> {
  if (typeof model !== 'string') return model;
  try {
    return await readFile(model);
  } catch (cause) {
    throw new HeadstartError('MODEL_NOT_FOUND', `cannot read ONNX model ${model}: ${(cause as Error).message}`, { cause, details: { file: model } });
  }
}

/** The onnxruntime option object for {@link SessionOptions} (shared with the worker-thread session). */
export function ortSessionOptions(opts: SessionOptions): ort.InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: opts.optimization ?? 'all',
    executionProviders: opts.providers ?? ['cpu'],
    ...(opts.threads !== undefined ? { intraOpNumThreads: opts.threads } : {}),
    ...(opts.interOpThreads !== undefined ? { interOpNumThreads: opts.interOpThreads } : {}),
    ...(opts.sequential ? { executionMode: 'sequential' as const } : {}),
    ...(opts.profile ? { enableProfiling: true, profileFilePrefix: opts.profile } : {}),
    ...(opts.spin === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
  };
}

/**
 * Opens an ONNX model (path or bytes) on onnxruntime-node. Throws MODEL_NOT_FOUND when the file
 * cannot be read; onnxruntime's own load errors are passed through for the caller to word.
 * @example const s = await createSession(bytes, { threads: 2 }); const out = await s.run({ pixels: { data, dims: [1, 224, 224, 3] } });
 */
export async function createSession(model: string | Uint8Array, opts: SessionOptions = {}): Promise<OnnxSession> {
  const bytes = await readModelBytes(model);
  const session = await ort.InferenceSession.create(bytes, ortSessionOptions(opts));
  const meta = new Map<string, ort.InferenceSession.ValueMetadata>([...session.inputMetadata, ...session.outputMetadata].map((m) => [m.name, m]));
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    shapeOf(name) {
      const m = meta.get(name);
      return m !== undefined && m.isTensor ? m.shape : undefined;
    },
    async run(feeds, outputs) {
      const inputs: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) inputs[name] = new ort.Tensor('float32', t.data, [...t.dims]);
      const result = outputs ? await session.run(inputs, [...outputs]) : await session.run(inputs);
      const out: Record<string, FloatTensor> = {};
      for (const [name, t] of Object.entries(result)) {
        if (!(t.data instanceof Float32Array)) throw new Error(`output "${name}" is not float32`);
        out[name] = { data: t.data, dims: t.dims };
      }
      return out;
    },
    release: () => session.release(),
    endProfiling: () => session.endProfiling(),
  };
}
