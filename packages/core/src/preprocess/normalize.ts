import {
  CAFFE_MEAN_BGR,
  IMAGENET_MEAN_RGB,
  IMAGENET_STD_RGB,
  type PreprocessMode,
  type PreprocessSpec,
} from '../specs/preprocess.ts';

type Triple = [number, number, number];

/**
 * The whole normalisation of a PreprocessSpec as one per-channel affine map:
 * `out[..., c] = rgb[..., source[c]] * multiply[c] + add[c]`.
 * The exporter folds exactly this into the ONNX graph; `applyPreprocess` computes it in JS.
 */
export interface PreprocessAffine {
  /** Effective tensor channel order (`caffe` is always `bgr`, as in Keras). */
  channelOrder: 'rgb' | 'bgr';
  /** For each output channel, which RGB input channel it reads. */
  source: Triple;
  multiply: Triple;
  add: Triple;
}

/** Per-mode scale and default mean/std (mean/std in the tensor's channel order, in the mode's scale). */
const MODE_DEFAULTS: Record<PreprocessMode, { scale: number; mean: readonly number[]; std: readonly number[] }> = {
  tf: { scale: 1 / 127.5, mean: [1, 1, 1], std: [1, 1, 1] },
  torch: { scale: 1 / 255, mean: IMAGENET_MEAN_RGB, std: IMAGENET_STD_RGB },
  caffe: { scale: 1, mean: CAFFE_MEAN_BGR, std: [1, 1, 1] },
  none: { scale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
};

/**
 * Resolve a spec to its per-channel affine map. Formula per mode (x = uint8 value):
 * `(x * scale - mean[c]) / std[c]` with scale 1/127.5 (tf), 1/255 (torch), 1 (caffe, none);
 * spec.mean / spec.std override the mode's defaults (tf: mean 1, std 1 → x/127.5 - 1;
 * torch: ImageNet; caffe: BGR ImageNet mean, std 1; none: 0 and 1).
 */
export function preprocessAffine(spec: PreprocessSpec): PreprocessAffine {
  const d = MODE_DEFAULTS[spec.mode];
  const mean = spec.mean ?? d.mean;
  const std = spec.std ?? d.std;
  const channelOrder = spec.channelOrder;
  if (spec.mode === 'caffe' && channelOrder !== 'bgr') throw new RangeError("PreprocessSpec: mode 'caffe' needs channelOrder 'bgr'; build specs with preprocessSpecFor or PreprocessSpecSchema");
  const source: Triple = channelOrder === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  const multiply = [0, 0, 0] as Triple;
  const add = [0, 0, 0] as Triple;
  for (let c = 0; c < 3; c++) {
    const s = std[c] as number;
    if (!(s > 0) || !Number.isFinite(s)) throw new RangeError(`PreprocessSpec.std[${c}] must be > 0, got ${s}`);
    multiply[c] = d.scale / s;
    add[c] = -(mean[c] as number) / s;
  }
  return { channelOrder, source, multiply, add };
}

/**
 * Normalise NHWC RGB uint8 pixels (already resized to spec.size) into NHWC float32 per the
 * spec; computed in float64 and rounded once to float32. Throws RangeError on a size mismatch.
 * @example const x = applyPreprocess(rgb, 1, preprocessSpecFor('tf', [224, 224]));
 */
export function applyPreprocess(rgb: Uint8Array | Uint8ClampedArray, count: number, spec: PreprocessSpec): Float32Array {
  const [h, w] = spec.size;
  const expected = count * h * w * 3;
  if (!Number.isInteger(count) || count < 0 || rgb.length !== expected) {
    throw new RangeError(
      `applyPreprocess: expected ${count} image(s) of ${h}x${w}x3 = ${expected} bytes, got ${rgb.length} (resize to spec.size first)`,
    );
  }
  const { source, multiply, add } = preprocessAffine(spec);
  const [s0, s1, s2] = source;
  const [m0, m1, m2] = multiply;
  const [a0, a1, a2] = add;
  const out = new Float32Array(expected);
  for (let i = 0; i < expected; i += 3) {
    out[i] = (rgb[i + s0] as number) * m0 + a0;
    out[i + 1] = (rgb[i + s1] as number) * m1 + a1;
    out[i + 2] = (rgb[i + s2] as number) * m2 + a2;
  }
  return out;
}
