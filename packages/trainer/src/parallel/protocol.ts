/** Messages between the fit loop and its step workers (data-parallel training on worker_threads). */
import type { BackendName } from '../backend/select-backend.ts';

/** Sets up a worker's replica of the trained model. */
export interface InitMessage {
  type: 'init';
  backend: BackendName;
  /** `model.toJSON(null, false)`. */
  topology: string;
  /** Every weight's values (model.weights order) for the replica's starting point. */
  weights: Float32Array[];
  /** Layers trained (their `trainable` flag), pinned to inference mode (BatchNorm), in the main model. */
  trainable: string[];
  pinned: string[];
  classes: number;
  classWeights?: number[];
  /** Shared buffers: trainable weights (main → worker) and the worker's gradients (worker → main), float32. */
  weightBuffer: SharedArrayBuffer;
  gradBuffer: SharedArrayBuffer;
}

/** One share of a batch: gradients of its part of the batch-mean loss at the weights in weightBuffer. */
export interface StepMessage {
  type: 'step';
  xs: { data: Float32Array; shape: number[] }[];
  y: Int32Array;
  /** Samples in the whole batch. */
  total: number;
  /** Seed for the replica's dropout masks. */
  seed: number;
}

/** Worker → main. */
export type WorkerReply = { type: 'ready' } | { type: 'done'; loss: number; correct: number } | { type: 'error'; message: string };
