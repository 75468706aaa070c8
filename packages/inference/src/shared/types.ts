import type { PreprocessSpec } from '@headstart/core';
import type { Prediction } from './predictions.ts';

/** A loaded classifier, the same shape on every platform (decoding differs by platform). */
export interface ClassifierBase {
  /** Execution provider actually used (e.g. 'cpu', 'cuda', 'wasm', 'webgpu'). */
  readonly provider: string;
  readonly labels: string[];
  readonly preprocess: PreprocessSpec;
  /** [height, width] of the model input. */
  readonly inputSize: [number, number];
  /** Top-1 probability below which the answer is "unknown" (`headstart.unknown_below`; absent: never). */
  readonly unknownBelow?: number;
  /** Every metadata_props entry of the ONNX file. */
  readonly metadata: Record<string, string>;
  /** Runs `count` images of RGB pixels (NHWC, 0..255, already at inputSize); returns count×C probabilities. */
  runPixels(rgb: Float32Array | Uint8Array, count: number): Promise<Float32Array>;
  /** Releases the session. */
  dispose(): Promise<void>;
}

/** Result of classifying one encoded image. */
export interface ClassifyResult {
  predictions: Prediction[];
  /** The top label, or "unknown" below the model's threshold (the top label stays first in `predictions`). */
  label: string;
  unknown: boolean;
  timings: { decodeMs: number; inferenceMs: number };
}
