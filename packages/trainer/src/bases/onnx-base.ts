/**
 * `--base model.onnx`: any ONNX classifier as a frozen feature extractor. The graph is truncated
 * at the cut by @headstart/exporter and run on onnxruntime (through @headstart/inference's session
 * factory); the TF.js side of the run starts at the features (an input layer the head goes on),
 * with the ONNX session attached to it as an image stage. Phase 2 cannot fine-tune it.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { HeadstartError, type EventSink, type PreprocessMode, type RunManifest } from '@headstart/core';
import { onnxBaseBytes, openOnnxBase, type OnnxBase, type OnnxLayout } from '@headstart/exporter';
import { createSession, type OnnxSession } from '@headstart/inference/node';
import { tfl } from '../tf.ts';
import { attachImageStage, type ImageStage } from '../train/image-stage.ts';
import type { LoadedBase } from './load-base.ts';

export { isOnnxPath } from '@headstart/exporter';

/** Why phase 2 never runs on an ONNX base (the refusal and the decision line say it). */
export const ONNX_BASE_FROZEN = 'a frozen ONNX base cannot be fine-tuned here: it runs on onnxruntime, which computes no gradients, so only the head trains (phase 1)';

/** Options of {@link loadOnnxBase}. */
export interface LoadOnnxBaseOptions {
  cut?: string;
  /** Required when the model's input size is dynamic. */
  inputSize?: number | [number, number];
  preprocess?: PreprocessMode;
  onEvent?: EventSink;
}

/** NHWC ↔ NCHW of a batch (perm [0,3,1,2] when `toNchw`, else [0,2,3,1]); `dims` are the source's. */
function transpose(src: Float32Array, dims: readonly number[], toNchw: boolean): Float32Array {
  const [n, a, b, c] = dims as [number, number, number, number];
  const out = new Float32Array(src.length);
  // toNchw: src [n, h=a, w=b, c] → [n, c, h, w]; else src [n, c=a, h=b, w=c] → [n, h, w, c].
  for (let i = 0; i < n; i++) {
    const base = i * a * b * c;
    for (let p = 0; p < a; p++) {
      for (let q = 0; q < b; q++) {
        for (let r = 0; r < c; r++) {
          const from = base + (p * b + q) * c + r;
          const to = toNchw ? base + (r * a + p) * b + q : base + (q * c + r) * a + p;
          out[to] = src[from] as number;
        }
      }
    }
  }
  return out;
}

/** The onnxruntime stage of a truncated base: NHWC images in, NHWC (or flat) features out. */
async function onnxStage(base: OnnxBase, path: string): Promise<ImageStage> {
  const session: OnnxSession = await createSession(onnxBaseBytes(base));
  const [h, w] = base.inputSize;
  const raw = async (x: Float32Array, count: number): Promise<{ data: Float32Array; dims: readonly number[] }> => {
    const nchw = base.layout === 'nchw';
    const data = nchw ? transpose(x, [count, h, w, 3], true) : x;
    const out = await session.run({ [base.inputName]: { data, dims: nchw ? [count, 3, h, w] : [count, h, w, 3] } }, [base.cut]);
    return out[base.cut] as { data: Float32Array; dims: readonly number[] };
  };
  let probe: { dims: readonly number[] };
  try {
    probe = await raw(new Float32Array(h * w * 3), 1);
  } catch (cause) {
    await session.release();
    throw new HeadstartError('MODEL_INVALID', `ONNX base ${path} does not run on onnxruntime up to "${base.cut}": ${(cause as Error).message}`, { cause });
  }
  const rank = probe.dims.length;
  if (rank !== 4 && rank !== 2) {
    await session.release();
    throw new HeadstartError('LAYER_NOT_FOUND', `Cut "${base.cut}" of ${path} has shape [${probe.dims.join(', ')}]; a head takes 4-D feature maps or flat [N, C] features: cut at another tensor (default "${base.defaultCut}")`, {
      details: { cut: base.cut },
    });
  }
  const d = probe.dims.slice(1);
  const featureShape = rank === 4 && base.layout === 'nchw' ? [d[1] as number, d[2] as number, d[0] as number] : [...d];
  return {
    label: `ONNX base ${path}`,
    featureShape,
    async run(x, count) {
      const out = await raw(x, count);
      return rank === 4 && base.layout === 'nchw' ? transpose(out.data, out.dims, false) : out.data;
    },
    dispose: () => session.release(),
  };
}

async function fileSha256(path: string): Promise<string> {
  try {
    return createHash('sha256').update(await readFile(path)).digest('hex');
  } catch (cause) {
    throw new HeadstartError('BASE_UNKNOWN', `ONNX base ${path} cannot be read: ${(cause as Error).message}`, { cause });
  }
}

/** The image stage of a finished run's ONNX base (refused when the file changed since training). */
export async function onnxStageForRun(manifest: RunManifest): Promise<ImageStage> {
  const rec = manifest.base.onnx;
  if (!rec) throw new TypeError('onnxStageForRun: the run has no ONNX base');
  const sha256 = await fileSha256(rec.path);
  if (sha256 !== rec.sha256) {
    throw new HeadstartError('MODEL_INVALID', `The ONNX base ${rec.path} changed since run ${manifest.name} trained on it (sha256 ${sha256}, trained on ${rec.sha256}); restore that file`, { details: { path: rec.path } });
  }
  const base = await openOnnxBase(rec.path, { cut: manifest.base.cut, inputSize: manifest.base.inputSize });
  return onnxStage(base, rec.path);
}

/** The manifest's record of an ONNX base. */
export interface OnnxBaseRecord {
  path: string;
  sha256: string;
  layout: OnnxLayout;
  featureShape: number[];
}

/**
 * Opens `path` as a frozen base cut at `opts.cut` (default: before the classifier's pooling; a
 * `decision` event says which and why). Preprocessing defaults to `torch` for NCHW
 * inputs (torchvision, timm) and `tf` for NHWC ones; name it with `preprocess` when the model differs.
 * @example const base = await loadOnnxBase('/models/resnet18.onnx', { preprocess: 'torch' });
 */
export async function loadOnnxBase(path: string, opts: LoadOnnxBaseOptions = {}): Promise<LoadedBase & { onnx: OnnxBaseRecord }> {
  const size = opts.inputSize === undefined ? undefined : typeof opts.inputSize === 'number' ? ([opts.inputSize, opts.inputSize] as [number, number]) : opts.inputSize;
  const base = await openOnnxBase(path, { ...(opts.cut ? { cut: opts.cut } : {}), ...(size ? { inputSize: size } : {}) });
  const sha256 = await fileSha256(path);
  const stage = await onnxStage(base, path);
  const input = tfl.input({ shape: stage.featureShape, name: 'onnx_features' });
  const model = tfl.model({ inputs: input, outputs: input, name: 'onnx_base' });
  attachImageStage(model, stage);
  const preprocess = opts.preprocess ?? (base.layout === 'nchw' ? 'torch' : 'tf');
  const cutNote = opts.cut ? `cut at "${base.cut}"` : `cut at "${base.cut}", ${base.defaultCutReason} (the default; --cut names another tensor)`;
  const prepNote = opts.preprocess ? `preprocess ${preprocess}` : `preprocess ${preprocess} (the default for ${base.layout.toUpperCase()} inputs; --preprocess names another)`;
  opts.onEvent?.({ type: 'decision', lines: [`ONNX base ${path}: ${base.layout.toUpperCase()} input ${base.inputSize[0]}x${base.inputSize[1]}, ${cutNote}; features ${JSON.stringify(stage.featureShape)}; ${prepNote}`] });
  return {
    id: path,
    source: `${path} (sha256 ${sha256})`,
    provenance: `Bring-your-own ONNX model ${path} (opset ${base.opset}, ${base.keptNodes} of ${base.totalNodes} nodes kept up to the cut), frozen: runs on onnxruntime`,
    model,
    cut: base.cut,
    inputSize: base.inputSize,
    preprocess,
    layers: [],
    onnx: { path, sha256, layout: base.layout, featureShape: stage.featureShape },
  };
}
