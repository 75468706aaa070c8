import type { GraphBuilder } from '../onnx/graph-builder.ts';
import { cfgNum, one, onnxAxis, type EmitContext, type Emitter, type Tensor, unsupported } from './context.ts';

const SELU_ALPHA = 1.6732632423543772;
const SELU_GAMMA = 1.0507009873554805;

/** Normalises TF.js/Keras activation identifiers (`hardSigmoid`, `hard_sigmoid`, {class_name}). */
export function activationName(v: unknown): string {
  if (v === undefined || v === null) return 'linear';
  if (typeof v === 'object' && v !== null && 'class_name' in v) return activationName((v as { class_name: unknown }).class_name);
  return String(v).toLowerCase().replace(/_/g, '');
}

/** Applies a named activation to `x` (ONNX name) of the given rank; returns the result name. */
export function applyActivation(b: GraphBuilder, x: string, act: string, rank: number, hint: string, onError: (what: string) => Error): string {
  switch (act) {
    case 'linear':
      return x;
    case 'relu':
      return b.op('Relu', [x], {}, hint);
    case 'relu6':
      return b.op('Clip', [x, b.scalar(0), b.scalar(6)], {}, hint);
    case 'sigmoid':
      return b.op('Sigmoid', [x], {}, hint);
    case 'tanh':
      return b.op('Tanh', [x], {}, hint);
    case 'softmax':
      return b.op('Softmax', [x], { axis: onnxAxis(-1, rank) }, hint);
    case 'logsoftmax':
      return b.op('LogSoftmax', [x], { axis: onnxAxis(-1, rank) }, hint);
    case 'swish':
    case 'silu':
      return b.op('Mul', [x, b.op('Sigmoid', [x], {}, hint)], {}, hint);
    case 'hardsigmoid':
      return b.op('HardSigmoid', [x], { alpha: { float: 0.2 }, beta: { float: 0.5 } }, hint);
    case 'elu':
      return b.op('Elu', [x], { alpha: { float: 1 } }, hint);
    case 'selu':
      return b.op('Selu', [x], { alpha: { float: SELU_ALPHA }, gamma: { float: SELU_GAMMA } }, hint);
    case 'softplus':
      return b.op('Softplus', [x], {}, hint);
    case 'softsign':
      return b.op('Softsign', [x], {}, hint);
    case 'exponential':
      return b.op('Exp', [x], {}, hint);
    case 'mish':
      return b.op('Mul', [x, b.op('Tanh', [b.op('Softplus', [x], {}, hint)], {}, hint)], {}, hint);
    case 'leakyrelu':
      return b.op('LeakyRelu', [x], { alpha: { float: 0.2 } }, hint);
    case 'gelu': {
      const erf = b.op('Erf', [b.op('Mul', [x, b.scalar(Math.SQRT1_2)], {}, hint)], {}, hint);
      const cdf = b.op('Mul', [b.op('Add', [erf, b.scalar(1)], {}, hint), b.scalar(0.5)], {}, hint);
      return b.op('Mul', [x, cdf], {}, hint);
    }
    case 'gelunew': {
      // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
      const x3 = b.op('Mul', [b.op('Mul', [x, x], {}, hint), x], {}, hint);
      const inner = b.op('Add', [x, b.op('Mul', [x3, b.scalar(0.044715)], {}, hint)], {}, hint);
      const t = b.op('Tanh', [b.op('Mul', [inner, b.scalar(Math.sqrt(2 / Math.PI))], {}, hint)], {}, hint);
      return b.op('Mul', [b.op('Mul', [x, b.scalar(0.5)], {}, hint), b.op('Add', [t, b.scalar(1)], {}, hint)], {}, hint);
    }
    default:
      throw onError(`activation '${act}'`);
  }
}

/** Applies the layer's `activation` config (Dense, Conv2D, ...) to its output. */
export function layerActivation(ctx: EmitContext, y: Tensor): Tensor {
  const act = activationName(ctx.node.config['activation']);
  const name = applyActivation(ctx.b, y.name, act, y.shape.length, ctx.node.id, (w) => unsupported(ctx, w));
  return { name, shape: y.shape };
}

const activation: Emitter = (ctx) => [layerActivation(ctx, one(ctx))];

const relu: Emitter = (ctx) => {
  const x = one(ctx);
  const b = ctx.b;
  const maxRaw = ctx.node.config['max_value'];
  const max = typeof maxRaw === 'number' ? maxRaw : undefined;
  const slope = cfgNum(ctx, 'negative_slope', 0);
  const threshold = cfgNum(ctx, 'threshold', 0);
  const hint = ctx.node.id;
  let y: string;
  if (slope === 0 && threshold === 0) {
    y = max === undefined ? b.op('Relu', [x.name], {}, hint) : b.op('Clip', [x.name, b.scalar(0), b.scalar(max)], {}, hint);
    return [{ name: y, shape: x.shape }];
  }
  const th = b.scalar(threshold);
  const below = b.op('Mul', [b.op('Sub', [x.name, th], {}, hint), b.scalar(slope)], {}, hint);
  y = b.op('Where', [b.op('GreaterOrEqual', [x.name, th], {}, hint), x.name, below], {}, hint);
  if (max !== undefined) y = b.op('Min', [y, b.scalar(max)], {}, hint);
  return [{ name: y, shape: x.shape }];
};

const leakyRelu: Emitter = (ctx) => {
  const x = one(ctx);
  const alpha = cfgNum(ctx, 'alpha', cfgNum(ctx, 'negative_slope', 0.3));
  return [{ name: ctx.b.op('LeakyRelu', [x.name], { alpha: { float: alpha } }, ctx.node.id), shape: x.shape }];
};

const elu: Emitter = (ctx) => {
  const x = one(ctx);
  return [{ name: ctx.b.op('Elu', [x.name], { alpha: { float: cfgNum(ctx, 'alpha', 1) } }, ctx.node.id), shape: x.shape }];
};

const thresholdedRelu: Emitter = (ctx) => {
  const x = one(ctx);
  return [{ name: ctx.b.op('ThresholdedRelu', [x.name], { alpha: { float: cfgNum(ctx, 'theta', 1) } }, ctx.node.id), shape: x.shape }];
};

const softmax: Emitter = (ctx) => {
  const x = one(ctx);
  const axisRaw = ctx.node.config['axis'];
  const axis = Array.isArray(axisRaw) ? Number(axisRaw[0]) : typeof axisRaw === 'number' ? axisRaw : -1;
  if (Array.isArray(axisRaw) && axisRaw.length !== 1) throw unsupported(ctx, 'softmax over several axes');
  return [{ name: ctx.b.op('Softmax', [x.name], { axis: onnxAxis(axis, x.shape.length) }, ctx.node.id), shape: x.shape }];
};

const prelu: Emitter = (ctx) => {
  const x = one(ctx);
  const alpha = ctx.weight('alpha');
  let values = alpha.values;
  let dims = alpha.shape;
  if (dims.length === 3) {
    // Keras [H, W, C] → ONNX [C, H, W]
    const [h, w, c] = dims as [number, number, number];
    const out = new Float32Array(values.length);
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (let k = 0; k < c; k++) out[k * h * w + i * w + j] = values[(i * w + j) * c + k]!;
    values = out;
    dims = [c, h, w];
  }
  return [{ name: ctx.b.op('PRelu', [x.name, ctx.b.weight(values, dims, `${ctx.node.id}/alpha`)], {}, ctx.node.id), shape: x.shape }];
};

/** Emitters for activation layers. */
export const activationEmitters: Record<string, Emitter> = {
  Activation: activation,
  ReLU: relu,
  LeakyReLU: leakyRelu,
  ELU: elu,
  ThresholdedReLU: thresholdedRelu,
  Softmax: softmax,
  PReLU: prelu,
};
