import { applyPreprocess, HeadstartError, weightSpecsOf, type PreprocessSpec, type RunManifest } from '@headstart/core';
import { readModelJsonFile } from '@headstart/core-node';
import { FP16_TOLERANCE, FP32_TOLERANCE } from '@headstart/exporter';
import { createSession } from '@headstart/inference/node';

/** One compared input batch. */
export interface ParityCase {
  source: 'random' | 'images';
  batch: number;
  maxAbsDiff: number;
  top1Agree: boolean;
}

/** Result of {@link verifyExport}. */
export interface ParityReport {
  ok: boolean;
  tolerance: number;
  maxAbsDiff: number;
  cases: ParityCase[];
}

/** Options of {@link verifyExport}. */
export interface VerifyOptions {
  /** The layers model that was exported. */
  modelJson: string;
  /** The exported ONNX file (path or bytes). */
  onnx: string | Uint8Array;
  /** Preprocessing the ONNX graph does (the TF.js side gets the same pixels through core's applyPreprocess). */
  preprocess?: PreprocessSpec;
  /** Real images, NHWC RGB uint8 at the model's input size. */
  images?: { data: Uint8Array; count: number };
  batchSizes?: number[];
  seed?: number;
  /** Default: 1e-4, or 2e-2 with fp16. */
  tolerance?: number;
  fp16?: boolean;
  /** Exported as a feature extractor at this layer. */
  featureCut?: string;
  /**
   * The run, when it was trained on a frozen ONNX base: `modelJson` is then its head, and the
   * trainer's prediction is the base on onnxruntime followed by that head (as in training).
   */
  onnxBaseRun?: RunManifest;
}

/**
 * Parity harness: runs the TF.js layers model (pure-JS cpu backend) and the exported ONNX file
 * (onnxruntime-node, CPU) on the same pixels (random, and real images when given) at each batch
 * size; ok when max |Δ| ≤ tolerance and top-1 agrees everywhere. Loads TF.js lazily.
 */
export async function verifyExport(opts: VerifyOptions): Promise<ParityReport> {
  const [tf, tfl] = await Promise.all([import('@tensorflow/tfjs-core'), import('@tensorflow/tfjs-layers')]);
  await import('@tensorflow/tfjs-backend-cpu');
  if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
  // The cpu backend's "install tfjs-node" banner would land in the CLI's output; parity is the point here.
  tf.env().set('PROD', true);
  const { json, weightData } = await readModelJsonFile(opts.modelJson);
  // Raw artifacts: TF.js does its own dequantisation.
  const full = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: weightSpecsOf(json), weightData: weightData.buffer as ArrayBuffer }));
  const model = opts.featureCut ? tfl.model({ inputs: full.inputs, outputs: full.getLayer(opts.featureCut).output }) : full;
  const run = opts.onnxBaseRun;
  const stage = run ? await (await import('../bases/onnx-base.ts')).onnxStageForRun(run) : undefined;
  const session = await createSession(opts.onnx);
  const shape = full.inputs[0]!.shape;
  const [h, w, c] = run ? [run.base.inputSize[0], run.base.inputSize[1], 3] : [shape[1], shape[2], shape[3]];
  if (typeof h !== 'number' || typeof w !== 'number' || typeof c !== 'number') {
    throw new HeadstartError('INPUT_SIZE_UNSUPPORTED', `${opts.modelJson}: parity needs a fixed input size, got ${JSON.stringify(shape)}`);
  }
  const tolerance = opts.tolerance ?? (opts.fp16 ? FP16_TOLERANCE : FP32_TOLERANCE);
  const batches: { source: ParityCase['source']; batch: number; rgb: Uint8Array }[] = [];
  let state = (opts.seed ?? 1) >>> 0;
  const next = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state >>> 24;
  };
  for (const n of opts.batchSizes ?? [1, 8]) batches.push({ source: 'random', batch: n, rgb: Uint8Array.from({ length: n * h * w * c }, next) });
  if (opts.images && opts.images.count > 0) batches.push({ source: 'images', batch: opts.images.count, rgb: opts.images.data });
  const cases: ParityCase[] = [];
  try {
    for (const b of batches) {
      const dims = [b.batch, h, w, c];
      const x = opts.preprocess ? applyPreprocess(b.rgb, b.batch, opts.preprocess) : Float32Array.from(b.rgb);
      const features = stage ? await stage.run(x, b.batch) : x;
      const featureDims = stage ? [b.batch, ...stage.featureShape] : dims;
      const expected = tf.tidy(() => (model.predict(tf.tensor(features, featureDims)) as import('@tensorflow/tfjs-core').Tensor).dataSync() as Float32Array);
      const output = session.outputNames[0]!;
      const out = await session.run({ [session.inputNames[0]!]: { data: Float32Array.from(b.rgb), dims } }, [output]);
      const actual = out[output]!.data;
      cases.push({ source: b.source, batch: b.batch, ...compareRows(expected, actual, b.batch) });
    }
  } finally {
    await session.release();
    await stage?.dispose();
    full.dispose();
  }
  const maxAbsDiff = Math.max(...cases.map((k) => k.maxAbsDiff));
  return { ok: cases.every((k) => k.maxAbsDiff <= tolerance && k.top1Agree), tolerance, maxAbsDiff, cases };
}

/** max |a - b| and whether each row's argmax agrees. */
export function compareRows(a: Float32Array, b: Float32Array, rows: number): { maxAbsDiff: number; top1Agree: boolean } {
  if (a.length !== b.length) throw new HeadstartError('EXPORT_PARITY', `TF.js gave ${a.length} values, ONNX ${b.length}`);
  let maxAbsDiff = 0;
  for (let i = 0; i < a.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[i]! - b[i]!));
  const width = a.length / rows;
  let top1Agree = true;
  for (let r = 0; r < rows; r++) {
    let ia = 0;
    let ib = 0;
    for (let k = 1; k < width; k++) {
      if (a[r * width + k]! > a[r * width + ia]!) ia = k;
      if (b[r * width + k]! > b[r * width + ib]!) ib = k;
    }
    if (ia !== ib) top1Agree = false;
  }
  return { maxAbsDiff, top1Agree };
}
