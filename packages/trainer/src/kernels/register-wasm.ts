import * as tf from '@tensorflow/tfjs-core';
import { type ConvGradOptions, conv2dFilterGrad, conv2dInputGrad } from './conv2d-grads.ts';
import { depthwiseFilterGrad, depthwiseInputGrad } from './depthwise-grads.ts';
import { type PoolGradOptions, maxPoolInputGrad } from './max-pool-grad.ts';

type Shape4 = [number, number, number, number];

/** What `registerWasmConvGradients` did for each kernel. */
export interface ConvGradientRegistration {
  kernel: string;
  action: 'added' | 'replaced' | 'already-headstart';
}

const BACKEND = 'wasm';
/** Marks kernel functions installed by Headstart, so registration stays idempotent. */
const HEADSTART = Symbol.for('headstart.kernel');

type Marked = tf.KernelFunc & { [HEADSTART]?: true };

function asTensor4(info: tf.TensorInfo): tf.Tensor4D {
  const t = info instanceof tf.Tensor ? info : tf.engine().makeTensorFromTensorInfo(info);
  return t as tf.Tensor4D;
}

function options(attrs: tf.NamedAttrMap | undefined): ConvGradOptions {
  const a = (attrs ?? {}) as unknown as Partial<ConvGradOptions>;
  return {
    strides: a.strides ?? 1,
    pad: a.pad ?? 'valid',
    dilations: a.dilations ?? 1,
    dataFormat: a.dataFormat ?? 'NHWC',
    ...(a.dimRoundingMode ? { dimRoundingMode: a.dimRoundingMode } : {}),
  };
}

function shapeAttr(attrs: tf.NamedAttrMap | undefined, name: string): Shape4 {
  const v = (attrs as Record<string, unknown> | undefined)?.[name];
  if (!Array.isArray(v) || v.length !== 4) throw new Error(`kernel attribute '${name}' must be a 4-element shape`);
  return v as Shape4;
}

function input(inputs: tf.NamedTensorInfoMap, name: string): tf.Tensor4D {
  const info = inputs[name];
  if (!info) throw new Error(`kernel input '${name}' is missing`);
  return asTensor4(info);
}

/** Kernel functions built from ops; each returns a Tensor, which the engine uses as the output. */
const kernels: Record<string, tf.KernelFunc> = {
  [tf.Conv2DBackpropFilter]: ({ inputs, attrs }) =>
    conv2dFilterGrad(input(inputs, 'x'), input(inputs, 'dy'), shapeAttr(attrs, 'filterShape'), options(attrs)),
  [tf.Conv2DBackpropInput]: ({ inputs, attrs }) =>
    conv2dInputGrad(input(inputs, 'dy'), input(inputs, 'filter'), shapeAttr(attrs, 'inputShape'), options(attrs)),
  [tf.DepthwiseConv2dNativeBackpropFilter]: ({ inputs, attrs }) =>
    depthwiseFilterGrad(input(inputs, 'x'), input(inputs, 'dy'), shapeAttr(attrs, 'filterShape'), options(attrs)),
  [tf.DepthwiseConv2dNativeBackpropInput]: ({ inputs, attrs }) =>
    depthwiseInputGrad(input(inputs, 'dy'), input(inputs, 'filter'), shapeAttr(attrs, 'inputShape'), options(attrs)),
  [tf.MaxPoolGrad]: ({ inputs, attrs }) =>
    maxPoolInputGrad(input(inputs, 'dy'), input(inputs, 'input'), input(inputs, 'output'), attrs as unknown as PoolGradOptions),
};

/** Kernel names whose Headstart implementations are registered for the wasm backend. */
export const WASM_CONV_GRADIENT_KERNELS: readonly string[] = Object.keys(kernels);

/**
 * Registers matMul/forward-conv based convolution-gradient kernels for the wasm backend
 * (Conv2DBackpropFilter, Conv2DBackpropInput, DepthwiseConv2dNativeBackpropFilter/Input) and
 * a correct MaxPoolGrad. The native Conv2DBackpropInput is ~8x slower than the forward-conv
 * formulation and the native MaxPoolGrad drops gradients of all-negative windows, so both are
 * replaced. Idempotent; works before or after the wasm backend is initialised.
 */
export function registerWasmConvGradients(): ConvGradientRegistration[] {
  const done: ConvGradientRegistration[] = [];
  for (const [kernel, fn] of Object.entries(kernels)) {
    const existing = tf.getKernel(kernel, BACKEND) as tf.KernelConfig | undefined;
    if (existing && (existing.kernelFunc as Marked)[HEADSTART]) {
      done.push({ kernel, action: 'already-headstart' });
      continue;
    }
    if (existing) tf.unregisterKernel(kernel, BACKEND);
    const marked: Marked = (params) => fn(params);
    marked[HEADSTART] = true;
    tf.registerKernel({ kernelName: kernel, backendName: BACKEND, kernelFunc: marked });
    done.push({ kernel, action: existing ? 'replaced' : 'added' });
  }
  return done;
}

/** True when every Headstart convolution-gradient kernel is currently registered for wasm. */
export function wasmConvGradientsRegistered(): boolean {
  return WASM_CONV_GRADIENT_KERNELS.every((k) => {
    const cfg = tf.getKernel(k, BACKEND) as tf.KernelConfig | undefined;
    return cfg !== undefined && (cfg.kernelFunc as Marked)[HEADSTART] === true;
  });
}
