/**
 * A frozen TF.js prefix run on onnxruntime: converted to ONNX in memory by @headstart/exporter,
 * opened through @headstart/inference's session factory (the one place sessions are created).
 */
import type { ArtifactSource } from '@headstart/core';
import { serialiseArtifact } from '@headstart/exporter';
import { createSession } from '@headstart/inference/node';

/** A base model (up to a cut) running on onnxruntime-node: the feature-extraction step without TF.js. */
export interface OnnxFeatureExtractor {
  /** [N, H, W, C] the extractor takes (N = -1: any batch). */
  inputShape: number[];
  /** Shape of one batch's output, N = -1 (NHWC maps, or [N, C] when pooled). */
  outputShape: number[];
  /** Runs `count` NHWC float32 images, already preprocessed exactly as the TF.js base expects. */
  run(x: Float32Array, count: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** Options of {@link createOnnxFeatureExtractor}. */
export interface OnnxFeatureOptions {
  /** Layer whose output is the feature; default: the model's output. */
  cut?: string;
  /** Pool the feature maps in the graph (default none: NHWC maps, as TF.js returns them). */
  pooling?: 'avg' | 'max' | 'none';
  /** onnxruntime intra-op threads (default: onnxruntime's choice). */
  threads?: number;
}

/**
 * Converts a layers artifact (e.g. the trainer's cut base) to ONNX in memory and opens it on
 * onnxruntime-node (CPU). No preprocessing in the graph: feed what the TF.js base would get.
 * @example const fx = await createOnnxFeatureExtractor(artifacts, { cut: 'out_relu' }); const f = await fx.run(x, 8);
 */
export async function createOnnxFeatureExtractor(source: ArtifactSource, opts: OnnxFeatureOptions = {}): Promise<OnnxFeatureExtractor> {
  const { data, info } = serialiseArtifact(source, opts.cut ? { featureExtractor: { cut: opts.cut, pooling: opts.pooling ?? 'none' } } : {});
  return openOnnxFeatureExtractor(data, info.inputShape, info.outputShape, opts.threads);
}

/**
 * Opens ONNX bytes of a prefix (as {@link createOnnxFeatureExtractor} converts them, e.g. fetched by a
 * queue worker) on onnxruntime-node; `inputShape` is [N, H, W, C].
 */
export async function openOnnxFeatureExtractor(bytes: Uint8Array, inputShape: number[], outputShape: number[], threads?: number): Promise<OnnxFeatureExtractor> {
  const session = await createSession(bytes, threads ? { threads, interOpThreads: 1 } : {});
  const input = session.inputNames[0]!;
  const output = session.outputNames[0]!;
  const [, h, w, c] = inputShape;
  return {
    inputShape,
    outputShape,
    async run(x, count) {
      const out = await session.run({ [input]: { data: x, dims: [count, h!, w!, c!] } }, [output]);
      return out[output]!.data;
    },
    dispose: () => session.release(),
  };
}
