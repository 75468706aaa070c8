import type { InferenceSession } from 'onnxruntime-node';

/** Main thread → session worker. */
export type WorkerRequest =
  | { type: 'init'; bytes: Uint8Array; options: InferenceSession.SessionOptions }
  | { type: 'run'; id: number; input: string; output: string; data: Float32Array; dims: number[] }
  | { type: 'release' };

/** Session worker → main thread. */
export type WorkerResponse =
  | { type: 'ready'; inputNames: string[]; outputNames: string[]; outputWidths: number[] }
  | { type: 'result'; id: number; data: Float32Array }
  | { type: 'released' }
  | { type: 'error'; id: number; message: string };
