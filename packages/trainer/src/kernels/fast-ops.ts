/**
 * Training-step fast paths for the layers fine-tuning spends its time in on wasm/cpu:
 * BatchNormalization pinned to inference is an affine map (two broadcast kernels forward, a
 * multiply and two channel sums backward, instead of FusedBatchNorm's Tile-heavy gradient), and
 * a clipped ReLU (ReLU6) whose gradient is one pass over the input instead of five comparison
 * and select kernels.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Kernel computing dy where lo < x <= hi, else 0 (the gradient of clip(relu(x), 0, hi)). */
export const RELU_CLIP_GRAD = 'HeadstartReluClipGrad';
/** Kernel computing, over the last axis of x and dy, [Σ dy·x, Σ dy] per channel (an affine map's scale and shift gradients). */
export const AFFINE_PARAM_GRAD = 'HeadstartAffineParamGrad';

function affineGradInto(dy: Float32Array, x: Float32Array, out: Float32Array, channels: number): void {
  const ds = new Float64Array(channels);
  const dt = new Float64Array(channels);
  for (let i = 0; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const g = dy[i + c] as number;
      ds[c] = (ds[c] as number) + g * (x[i + c] as number);
      dt[c] = (dt[c] as number) + g;
    }
  }
  for (let c = 0; c < channels; c++) {
    out[c] = ds[c] as number;
    out[channels + c] = dt[c] as number;
  }
}

interface ClipAttrs {
  hi: number;
}

function clipGradInto(dy: Float32Array, x: Float32Array, out: Float32Array, hi: number): void {
  // Branch-free: activations are on both sides of the bounds at random, which defeats branch prediction.
  for (let i = 0; i < out.length; i++) {
    const v = x[i] as number;
    out[i] = (dy[i] as number) * (Number(v > 0) * Number(v <= hi));
  }
}

interface WasmLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

interface CpuLike {
  data: { get(id: tf.DataId): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

type Fill = (dy: Float32Array, x: Float32Array, out: Float32Array, attrs: tf.NamedAttrMap, xShape: number[]) => void;

/** The wasm and cpu kernels of a JS loop reading dy and x and writing one float32 output. */
function jsKernels(kernelName: string, outShape: (xShape: number[]) => number[], fill: Fill): tf.KernelConfig[] {
  return [
    {
      kernelName,
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as unknown as WasmLike;
        const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
        const out = b.makeOutput(outShape(x.shape), 'float32');
        // Views taken after the allocation: growing the heap detaches earlier views.
        fill(b.typedArrayFromHeap(dy), b.typedArrayFromHeap(x), b.typedArrayFromHeap(out), attrs ?? {}, x.shape);
        return out;
      },
    },
    {
      kernelName,
      backendName: 'cpu',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as unknown as CpuLike;
        const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
        const shape = outShape(x.shape);
        const out = new Float32Array(tf.util.sizeFromShape(shape));
        fill(b.data.get(dy.dataId).values, b.data.get(x.dataId).values, out, attrs ?? {}, x.shape);
        return b.makeTensorInfo(shape, 'float32', out);
      },
    },
  ];
}

const fastKernels: tf.KernelConfig[] = [
  ...jsKernels(RELU_CLIP_GRAD, (s) => s, (dy, x, out, attrs) => clipGradInto(dy, x, out, (attrs as unknown as ClipAttrs).hi)),
  ...jsKernels(AFFINE_PARAM_GRAD, (s) => [2, s[s.length - 1] as number], (dy, x, out, _a, shape) => affineGradInto(dy, x, out, shape[shape.length - 1] as number)),
];

/** Registers the fast-path kernels for wasm and cpu (idempotent). */
export function registerFastOps(): void {
  for (const k of fastKernels) if (!tf.getKernel(k.kernelName, k.backendName)) tf.registerKernel(k);
}

/** True when the active backend has the fast-path kernel `name`. */
function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/**
 * clip(relu(x), 0, hi) with a one-pass gradient (same values and gradient as tfjs-layers'
 * ReLU({maxValue: hi}), including the inclusive upper bound); plain ops when the backend lacks
 * the kernel.
 */
export function clippedRelu(x: tf.Tensor, hi: number): tf.Tensor {
  if (!hasKernel(RELU_CLIP_GRAD)) return tf.clipByValue(tf.relu(x), 0, hi);
  const f = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    save([input]);
    return {
      value: tf.clipByValue(input, 0, hi),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.engine().runKernel(RELU_CLIP_GRAD, { dy, x: saved[0] as tf.Tensor }, { hi } as unknown as tf.NamedAttrMap) as tf.Tensor,
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x);
}

/**
 * BatchNormalization in inference mode over the last axis as the affine map x·s + t with
 * s = γ/√(σ²+ε), t = β − μ·s (gradients flow to x, γ and β as through tfjs's batchNorm).
 */
export function affineBatchNorm(x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, beta: tf.Tensor | null, gamma: tf.Tensor | null, epsilon: number): tf.Tensor {
  const inv = tf.rsqrt(tf.add(variance, epsilon));
  const s = gamma ? tf.mul(gamma, inv) : inv;
  const shift = beta ? tf.sub(beta, tf.mul(mean, s)) : tf.neg(tf.mul(mean, s));
  if (!hasKernel(AFFINE_PARAM_GRAD)) return tf.add(tf.mul(x, s), shift);
  // One pass for both per-channel sums of the backward (tfjs would transpose dy for each Sum).
  const f = tf.customGrad(((input: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor, save: tf.GradSaveFunc) => {
    save([input, scale]);
    return {
      value: tf.add(tf.mul(input, scale), offset),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, sc] = saved as [tf.Tensor, tf.Tensor];
        const sums = tf.engine().runKernel(AFFINE_PARAM_GRAD, { dy, x: xs }, {}) as tf.Tensor;
        const [ds, dt] = tf.unstack(sums) as [tf.Tensor, tf.Tensor];
        return [tf.mul(dy, sc), tf.reshape(ds, sc.shape), tf.reshape(dt, sc.shape)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x, s, shift);
}
