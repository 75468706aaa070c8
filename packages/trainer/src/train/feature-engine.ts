/**
 * The engine that runs frozen prefixes for the feature / boundary caches: TF.js (the model
 * itself) or onnxruntime-node (the prefix converted to ONNX in memory, see onnx-features.ts).
 */
import { HeadstartError } from '@headstart/core';
import type { ArtifactSource } from '@headstart/core';
import { tfc, tfl, type LayersModel, type SymbolicTensor } from '../tf.ts';
import { serialiseArtifact } from '@headstart/exporter';
import { imageStageOf, runImageStage, type ImageStage } from './image-stage.ts';
import { openOnnxFeatureExtractor, type OnnxFeatureExtractor } from './onnx-features.ts';

/** Which engine computes cached features: 'auto' = onnxruntime when the prefix converts and loads, else TF.js. */
export type FeatureEngine = 'auto' | 'onnxruntime' | 'tfjs';

/** Runs a batch of preprocessed NHWC images through the prefixes; one tensor per requested output. */
export type PrefixRunner = (x: tfc.Tensor) => Promise<tfc.Tensor[]>;

/** A prefix runner with the engine that backs it and, after an 'auto' fallback, why. */
export interface ResolvedEngine {
  engine: 'onnxruntime' | 'tfjs';
  run: PrefixRunner;
  fallbackReason?: string;
  dispose(): Promise<void>;
}

/** The TF.js runner: one multi-output model over all requested tensors (the model input passes through). */
function tfjsRunner(model: LayersModel, outputs: SymbolicTensor[]): ResolvedEngine {
  const input = model.inputs[0] as SymbolicTensor;
  const inner = outputs.filter((o) => o !== input);
  const combined = inner.length > 0 ? tfl.model({ inputs: model.inputs, outputs: inner }) : null;
  const run: PrefixRunner = async (x) => {
    const out = combined ? (combined.predict(x) as tfc.Tensor | tfc.Tensor[]) : [];
    const list = Array.isArray(out) ? out : [out];
    let k = 0;
    return outputs.map((o) => (o === input ? x.clone() : (list[k++] as tfc.Tensor)));
  };
  return { engine: 'tfjs', run, dispose: async () => undefined };
}

/** Captures a (sub)model's topology and weights in memory, the shape the exporter reads. */
async function artifactOf(model: LayersModel): Promise<ArtifactSource> {
  let captured: ArtifactSource | undefined;
  await model.save(
    tfc.io.withSaveHandler(async (a) => {
      captured = { modelTopology: a.modelTopology, weightSpecs: (a.weightSpecs ?? []) as ArtifactSource['weightSpecs'], weightData: a.weightData as ArrayBuffer };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured) throw new HeadstartError('MODEL_INVALID', 'Saving the frozen prefix in memory produced no artifacts');
  return captured;
}

/** A frozen prefix of `model` ending at `output`, as ONNX bytes (no preprocessing in the graph), and one sample's output shape. */
export async function prefixOnnx(model: LayersModel, output: SymbolicTensor): Promise<{ bytes: Uint8Array; inputShape: number[]; outputShape: number[] }> {
  const sub = tfl.model({ inputs: model.inputs, outputs: output });
  const { data, info } = serialiseArtifact(await artifactOf(sub), {});
  return { bytes: data, inputShape: info.inputShape, outputShape: output.shape.slice(1) as number[] };
}

/** One requested output of an onnxruntime runner: an extractor and its per-sample shape, or null for the input itself. */
export type OnnxOutput = { fx: OnnxFeatureExtractor; shape: number[] } | null;

/**
 * A prefix runner over onnxruntime extractors, one entry per requested output (the same entry twice:
 * run once, the second gets a copy the caller may dispose). Local caches and queue workers share it.
 */
export function onnxPrefixRunner(outputs: readonly OnnxOutput[]): PrefixRunner {
  return async (x) => {
    const n = x.shape[0] as number;
    const data = x.dataSync() as Float32Array;
    const results = new Map<OnnxOutput, tfc.Tensor>();
    for (const o of outputs) if (o && !results.has(o)) results.set(o, tfc.tensor(await o.fx.run(data, n), [n, ...o.shape]));
    const used = new Set<OnnxOutput>();
    return outputs.map((o) => {
      if (o === null) return x.clone();
      const t = results.get(o) as tfc.Tensor;
      if (used.has(o)) return t.clone();
      used.add(o);
      return t;
    });
  };
}

/** The onnxruntime runner: one in-memory ONNX session per distinct boundary layer (each a single-output prefix). */
async function onnxRunner(model: LayersModel, outputs: SymbolicTensor[]): Promise<ResolvedEngine> {
  const input = model.inputs[0] as SymbolicTensor;
  const sessions = new Map<SymbolicTensor, { fx: OnnxFeatureExtractor; shape: number[] }>();
  try {
    for (const o of outputs) {
      if (o === input || sessions.has(o)) continue;
      const p = await prefixOnnx(model, o);
      sessions.set(o, { fx: await openOnnxFeatureExtractor(p.bytes, p.inputShape, [-1, ...p.outputShape]), shape: p.outputShape });
    }
  } catch (e) {
    await Promise.all([...sessions.values()].map((s) => s.fx.dispose()));
    throw e;
  }
  return {
    engine: 'onnxruntime',
    run: onnxPrefixRunner(outputs.map((o) => (o === input ? null : (sessions.get(o) as OnnxOutput)))),
    dispose: async () => {
      await Promise.all([...sessions.values()].map((s) => s.fx.dispose()));
    },
  };
}

/**
 * Picks the engine for computing `outputs` of `model` from its input (after the model's image
 * stage, when it has one: an ONNX base always runs on onnxruntime). 'auto' tries onnxruntime
 * and falls back to TF.js (reason in `fallbackReason`); 'onnxruntime' throws when the prefix
 * does not convert or load.
 */
export async function resolveFeatureEngine(model: LayersModel, outputs: SymbolicTensor[], engine: FeatureEngine): Promise<ResolvedEngine> {
  const stage = imageStageOf(model);
  if (stage) return afterStage(stage, await resolveModelEngine(model, outputs, engine));
  return resolveModelEngine(model, outputs, engine);
}

/** The model's own prefixes run after its image stage (an ONNX base): the images' engine is onnxruntime. */
function afterStage(stage: ImageStage, inner: ResolvedEngine): ResolvedEngine {
  const run: PrefixRunner = async (x) => {
    const features = await runImageStage(stage, x);
    try {
      return await inner.run(features);
    } finally {
      features.dispose();
    }
  };
  return { engine: 'onnxruntime', run, ...(inner.fallbackReason ? { fallbackReason: inner.fallbackReason } : {}), dispose: inner.dispose };
}

async function resolveModelEngine(model: LayersModel, outputs: SymbolicTensor[], engine: FeatureEngine): Promise<ResolvedEngine> {
  if (engine === 'tfjs') return tfjsRunner(model, outputs);
  try {
    return await onnxRunner(model, outputs);
  } catch (e) {
    if (engine === 'onnxruntime') {
      if (e instanceof HeadstartError) throw e;
      throw new HeadstartError('MODEL_INVALID', `featureEngine 'onnxruntime': the frozen prefix could not be opened on onnxruntime-node: ${(e as Error).message}`, { cause: e });
    }
    const reason = e instanceof Error ? `${e instanceof HeadstartError ? `${e.code}: ` : ''}${e.message}` : String(e);
    return { ...tfjsRunner(model, outputs), fallbackReason: reason };
  }
}
