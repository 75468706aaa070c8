import { layerActivation } from './activation.ts';
import { channelShape, one, onnxAxis, type EmitContext, type Emitter, type Tensor, unsupported } from './context.ts';

const identity: Emitter = (ctx) => [one(ctx)];

/** ONNX tensor in Keras element order (NHWC for rank 4). */
export function toChannelsLast(ctx: EmitContext, x: Tensor): string {
  return x.shape.length === 4 ? ctx.b.op('Transpose', [x.name], { perm: [0, 2, 3, 1] }, `${ctx.node.id}/nhwc`) : x.name;
}

/** Keras-ordered ONNX tensor → stored layout (NCHW for rank 4). */
export function fromChannelsLast(ctx: EmitContext, name: string, rank: number): string {
  return rank === 4 ? ctx.b.op('Transpose', [name], { perm: [0, 3, 1, 2] }, `${ctx.node.id}/nchw`) : name;
}

function size(shape: (number | null)[]): number {
  return shape.slice(1).reduce<number>((a, d) => a * (d ?? NaN), 1);
}

const dense: Emitter = (ctx) => {
  const x = one(ctx);
  const k = ctx.weight('kernel');
  const [cin, units] = k.shape as [number, number];
  let kernel = k.values;
  if (ctx.fold) {
    const s = ctx.fold.scale;
    kernel = Float32Array.from(kernel, (v, i) => v * s[i % units]!);
  }
  const useBias = ctx.node.config['use_bias'] !== false && ctx.hasWeight('bias');
  let bias: Float32Array | undefined = useBias ? ctx.weight('bias').values : undefined;
  if (ctx.fold) {
    const f = ctx.fold;
    const b0 = bias ?? new Float32Array(units);
    bias = Float32Array.from(b0, (v, i) => v * f.scale[i]! + f.shift[i]!);
  }
  if (x.shape[x.shape.length - 1] !== cin) throw unsupported(ctx, `input with ${String(x.shape[x.shape.length - 1])} features for a kernel of ${cin}`);
  const w = ctx.b.weight(kernel, [cin, units], `${ctx.node.id}/kernel`);
  const shape = [...x.shape.slice(0, -1), units];
  let y: string;
  if (x.shape.length === 2) {
    const inputs = [x.name, w];
    if (bias) inputs.push(ctx.b.weight(bias, [units], `${ctx.node.id}/bias`));
    y = ctx.b.op('Gemm', inputs, {}, ctx.node.id);
  } else {
    y = ctx.b.op('MatMul', [toChannelsLast(ctx, x), w], {}, ctx.node.id);
    if (bias) y = ctx.b.op('Add', [y, ctx.b.weight(bias, [units], `${ctx.node.id}/bias`)], {}, ctx.node.id);
    y = fromChannelsLast(ctx, y, shape.length);
  }
  return [layerActivation(ctx, { name: y, shape })];
};

const flatten: Emitter = (ctx) => {
  const x = one(ctx);
  const shape = [x.shape[0] ?? null, size(x.shape)];
  if (x.shape.length === 2) return [x];
  // Keras flattens in NHWC element order: transpose back before flattening.
  return [{ name: ctx.b.op('Flatten', [toChannelsLast(ctx, x)], { axis: 1 }, ctx.node.id), shape }];
};

const reshape: Emitter = (ctx) => {
  const x = one(ctx);
  const target = (ctx.node.config['target_shape'] as number[]).map(Number);
  const total = size(x.shape);
  const known = target.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
  const resolved = target.map((d) => (d === -1 ? total / known : d));
  if (resolved.some((d) => !Number.isInteger(d))) throw unsupported(ctx, `reshape of ${total} elements to ${JSON.stringify(target)}`);
  const shapeConst = ctx.b.constI64([0, ...resolved], `${ctx.node.id}/shape`);
  const y = ctx.b.op('Reshape', [toChannelsLast(ctx, x), shapeConst], {}, ctx.node.id);
  return [{ name: fromChannelsLast(ctx, y, resolved.length + 1), shape: [x.shape[0] ?? null, ...resolved] }];
};

/** Per-channel affine y = x * scale + shift along the Keras last axis. */
export function channelAffine(ctx: EmitContext, x: Tensor, scale: Float32Array, shift: Float32Array): string {
  const rank = x.shape.length;
  const dims = channelShape(scale.length, rank);
  const m = ctx.b.op('Mul', [x.name, ctx.b.weight(scale, dims, `${ctx.node.id}/scale`)], {}, ctx.node.id);
  return ctx.b.op('Add', [m, ctx.b.weight(shift, dims, `${ctx.node.id}/shift`)], {}, ctx.node.id);
}

/** BatchNormalization in inference mode as per-channel scale and shift. */
export function bnAffine(ctx: EmitContext): { scale: Float32Array; shift: Float32Array } {
  const mean = ctx.weight('moving_mean').values;
  const variance = ctx.weight('moving_variance').values;
  const c = mean.length;
  const eps = typeof ctx.node.config['epsilon'] === 'number' ? (ctx.node.config['epsilon'] as number) : 1e-3;
  const gamma = ctx.node.config['scale'] !== false && ctx.hasWeight('gamma') ? ctx.weight('gamma').values : new Float32Array(c).fill(1);
  const beta = ctx.node.config['center'] !== false && ctx.hasWeight('beta') ? ctx.weight('beta').values : new Float32Array(c);
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    scale[i] = gamma[i]! / Math.sqrt(variance[i]! + eps);
    shift[i] = beta[i]! - mean[i]! * scale[i]!;
  }
  return { scale, shift };
}

/** True when a BN node normalises the last (channel) axis. */
export function bnOnLastAxis(config: Record<string, unknown>, rank: number): boolean {
  const a = config['axis'];
  const axis = Array.isArray(a) ? (a.length === 1 ? Number(a[0]) : NaN) : typeof a === 'number' ? a : -1;
  return axis === -1 || axis === rank - 1;
}

const batchNorm: Emitter = (ctx) => {
  const x = one(ctx);
  if (ctx.folded) return [x];
  if (!bnOnLastAxis(ctx.node.config, x.shape.length)) throw unsupported(ctx, `axis ${JSON.stringify(ctx.node.config['axis'])}`);
  const { scale, shift } = bnAffine(ctx);
  return [{ name: channelAffine(ctx, x, scale, shift), shape: x.shape }];
};

const rescaling: Emitter = (ctx) => {
  const x = one(ctx);
  const c = x.shape[x.shape.length - 1] ?? 1;
  const expand = (v: unknown, fallback: number): Float32Array => {
    if (Array.isArray(v)) return Float32Array.from(v.map(Number));
    return new Float32Array(c).fill(typeof v === 'number' ? v : fallback);
  };
  return [{ name: channelAffine(ctx, x, expand(ctx.node.config['scale'], 1), expand(ctx.node.config['offset'], 0)), shape: x.shape }];
};

const normalization: Emitter = (ctx) => {
  const x = one(ctx);
  if (ctx.node.config['invert'] === true) throw unsupported(ctx, 'invert=true');
  const axis = ctx.node.config['axis'];
  if (!(axis === undefined || axis === -1 || (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === x.shape.length - 1)))) {
    throw unsupported(ctx, `axis ${JSON.stringify(axis)}`);
  }
  const cfgMean = ctx.node.config['mean'];
  const mean = ctx.hasWeight('mean') ? ctx.weight('mean').values : Float32Array.from([cfgMean].flat().map(Number));
  const cfgVar = ctx.node.config['variance'];
  const variance = ctx.hasWeight('variance') ? ctx.weight('variance').values : Float32Array.from([cfgVar].flat().map(Number));
  const c = Number(x.shape[x.shape.length - 1] ?? mean.length);
  const at = (a: Float32Array, i: number): number => (a.length === 1 ? a[0]! : a[i]!);
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    scale[i] = 1 / Math.max(Math.sqrt(at(variance, i)), 1e-7);
    shift[i] = -at(mean, i) * scale[i]!;
  }
  return [{ name: channelAffine(ctx, x, scale, shift), shape: x.shape }];
};

const merge = (opType: string): Emitter => (ctx) => {
  const xs = ctx.inputs;
  const rank = xs[0]!.shape.length;
  if (xs.some((t) => t.shape.length !== rank)) throw unsupported(ctx, 'merging tensors of different ranks');
  const shape = xs[0]!.shape.map((_, i) => xs.map((t) => t.shape[i]).reduce((a, d) => (a === 1 || a === null ? d : a)) ?? null);
  if (opType === 'Sub') {
    if (xs.length !== 2) throw unsupported(ctx, `${xs.length} inputs to Subtract`);
    return [{ name: ctx.b.op('Sub', [xs[0]!.name, xs[1]!.name], {}, ctx.node.id), shape }];
  }
  return [{ name: ctx.b.op(opType, xs.map((t) => t.name), {}, ctx.node.id), shape }];
};

const concatenate: Emitter = (ctx) => {
  const xs = ctx.inputs;
  const rank = xs[0]!.shape.length;
  const kAxis = typeof ctx.node.config['axis'] === 'number' ? (ctx.node.config['axis'] as number) : -1;
  const pos = kAxis < 0 ? kAxis + rank : kAxis;
  const shape = [...xs[0]!.shape];
  shape[pos] = xs.reduce<number | null>((a, t) => (a === null || t.shape[pos] == null ? null : a + (t.shape[pos] as number)), 0);
  return [{ name: ctx.b.op('Concat', xs.map((t) => t.name), { axis: onnxAxis(kAxis, rank) }, ctx.node.id), shape }];
};

const alias: Emitter = (ctx) => [one(ctx)];

/** Emitters for core, normalisation, merge and identity layers. */
export const coreEmitters: Record<string, Emitter> = {
  __Identity: alias,
  Dense: dense,
  Flatten: flatten,
  Reshape: reshape,
  Dropout: identity,
  SpatialDropout1D: identity,
  SpatialDropout2D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  ActivityRegularization: identity,
  BatchNormalization: batchNorm,
  Rescaling: rescaling,
  Normalization: normalization,
  Add: merge('Sum'),
  Subtract: merge('Sub'),
  Multiply: merge('Mul'),
  Average: merge('Mean'),
  Maximum: merge('Max'),
  Minimum: merge('Min'),
  Concatenate: concatenate,
};
