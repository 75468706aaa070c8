import { layerActivation } from './activation.ts';
import { convAxis, one, pair, spatial, type EmitContext, type Emitter, type FoldedBn, type Tensor, unsupported } from './context.ts';

/** Keras [kh, kw, in, out] → ONNX [out, in, kh, kw], scaling output channels by a folded BN. */
function convKernel(k: Float32Array, kh: number, kw: number, cin: number, cout: number, scale?: Float32Array): Float32Array {
  const out = new Float32Array(k.length);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let c = 0; c < cin; c++)
        for (let o = 0; o < cout; o++) {
          const s = scale ? scale[o]! : 1;
          out[((o * cin + c) * kh + i) * kw + j] = k[((i * kw + j) * cin + c) * cout + o]! * s;
        }
  return out;
}

/** Keras depthwise [kh, kw, in, mult] → ONNX grouped [in*mult, 1, kh, kw]. */
function depthwiseKernel(k: Float32Array, kh: number, kw: number, cin: number, mult: number, scale?: Float32Array): Float32Array {
  const out = new Float32Array(k.length);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let c = 0; c < cin; c++)
        for (let m = 0; m < mult; m++) {
          const o = c * mult + m;
          out[(o * kh + i) * kw + j] = k[((i * kw + j) * cin + c) * mult + m]! * (scale ? scale[o]! : 1);
        }
  return out;
}

/** Bias after a folded BN: (b - mean) * s + beta, precomputed as b * scale + shift. */
function foldedBias(ctx: EmitContext, cout: number, fold: FoldedBn | undefined): Float32Array | undefined {
  const useBias = ctx.node.config['use_bias'] !== false && ctx.hasWeight('bias');
  if (!useBias && !fold) return undefined;
  const bias = useBias ? ctx.weight('bias').values : new Float32Array(cout);
  if (!fold) return bias;
  return Float32Array.from(bias, (v, i) => v * fold.scale[i]! + fold.shift[i]!);
}

interface Geometry {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  pads: number[];
  outHW: [number, number];
}

function geometry(ctx: EmitContext, x: Tensor, kernel: [number, number], ignoreDilation = false): Geometry {
  const [h, w] = spatial(ctx, x);
  const strides = pair(ctx.node.config['strides'], 1);
  const dilations = ignoreDilation ? ([1, 1] as [number, number]) : pair(ctx.node.config['dilation_rate'], 1);
  const padding = String(ctx.node.config['padding'] ?? 'valid');
  if (padding !== 'same' && padding !== 'valid') throw unsupported(ctx, `padding '${padding}'`);
  if (ctx.node.config['data_format'] === 'channels_first') throw unsupported(ctx, 'data_format channels_first');
  if ((strides[0] > 1 || strides[1] > 1) && (dilations[0] > 1 || dilations[1] > 1)) throw unsupported(ctx, 'strides and dilation together');
  const ah = convAxis(h, kernel[0], strides[0], dilations[0], padding);
  const aw = convAxis(w, kernel[1], strides[1], dilations[1], padding);
  if (ah.out <= 0 || aw.out <= 0) throw unsupported(ctx, `input ${h}x${w} smaller than the kernel`);
  return { kernel, strides, dilations, pads: [ah.before, aw.before, ah.after, aw.after], outHW: [ah.out, aw.out] };
}

function convNode(ctx: EmitContext, x: string, w: string, bias: string | undefined, g: Geometry, group: number, hint: string): string {
  const inputs = bias ? [x, w, bias] : [x, w];
  return ctx.b.op('Conv', inputs, { kernel_shape: g.kernel, strides: g.strides, dilations: g.dilations, pads: g.pads, group }, hint);
}

const conv2d: Emitter = (ctx) => {
  const x = one(ctx);
  const k = ctx.weight('kernel');
  const [kh, kw, cin, cout] = k.shape as [number, number, number, number];
  if (ctx.node.config['groups'] !== undefined && ctx.node.config['groups'] !== 1) throw unsupported(ctx, 'grouped convolution');
  const g = geometry(ctx, x, [kh, kw]);
  const w = ctx.b.weight(convKernel(k.values, kh, kw, cin, cout, ctx.fold?.scale), [cout, cin, kh, kw], `${ctx.node.id}/kernel`);
  const bias = foldedBias(ctx, cout, ctx.fold);
  const b = bias ? ctx.b.weight(bias, [cout], `${ctx.node.id}/bias`) : undefined;
  const y = convNode(ctx, x.name, w, b, g, 1, ctx.node.id);
  return [layerActivation(ctx, { name: y, shape: [x.shape[0] ?? null, g.outHW[0], g.outHW[1], cout] })];
};

const depthwise: Emitter = (ctx) => {
  const x = one(ctx);
  const k = ctx.weight('depthwise_kernel');
  const [kh, kw, cin, mult] = k.shape as [number, number, number, number];
  // TF.js 4.22's DepthwiseConv2D layer ignores dilation_rate (it passes none to the op, in shape
  // inference too); a TF.js-trained model learnt without it, so the export does the same.
  const g = geometry(ctx, x, [kh, kw], true);
  const cout = cin * mult;
  const w = ctx.b.weight(depthwiseKernel(k.values, kh, kw, cin, mult, ctx.fold?.scale), [cout, 1, kh, kw], `${ctx.node.id}/depthwise_kernel`);
  const bias = foldedBias(ctx, cout, ctx.fold);
  const b = bias ? ctx.b.weight(bias, [cout], `${ctx.node.id}/bias`) : undefined;
  const y = convNode(ctx, x.name, w, b, g, cin, ctx.node.id);
  return [layerActivation(ctx, { name: y, shape: [x.shape[0] ?? null, g.outHW[0], g.outHW[1], cout] })];
};

const separable: Emitter = (ctx) => {
  const x = one(ctx);
  const dk = ctx.weight('depthwise_kernel');
  const pk = ctx.weight('pointwise_kernel');
  const [kh, kw, cin, mult] = dk.shape as [number, number, number, number];
  const cmid = cin * mult;
  const cout = pk.shape[3]!;
  const g = geometry(ctx, x, [kh, kw]);
  const dw = ctx.b.weight(depthwiseKernel(dk.values, kh, kw, cin, mult), [cmid, 1, kh, kw], `${ctx.node.id}/depthwise_kernel`);
  const mid = convNode(ctx, x.name, dw, undefined, g, cin, `${ctx.node.id}/depthwise`);
  const pw = ctx.b.weight(convKernel(pk.values, 1, 1, cmid, cout, ctx.fold?.scale), [cout, cmid, 1, 1], `${ctx.node.id}/pointwise_kernel`);
  const bias = foldedBias(ctx, cout, ctx.fold);
  const b = bias ? ctx.b.weight(bias, [cout], `${ctx.node.id}/bias`) : undefined;
  const one1: Geometry = { kernel: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], outHW: g.outHW };
  const y = convNode(ctx, mid, pw, b, one1, 1, ctx.node.id);
  return [layerActivation(ctx, { name: y, shape: [x.shape[0] ?? null, g.outHW[0], g.outHW[1], cout] })];
};

const conv2dTranspose: Emitter = (ctx) => {
  const x = one(ctx);
  const [h, w] = spatial(ctx, x);
  const k = ctx.weight('kernel');
  // Keras [kh, kw, out, in] → ONNX ConvTranspose [in, out, kh, kw]
  const [kh, kw, cout, cin] = k.shape as [number, number, number, number];
  const strides = pair(ctx.node.config['strides'], 1);
  const dil = pair(ctx.node.config['dilation_rate'], 1);
  if (dil[0] !== 1 || dil[1] !== 1) throw unsupported(ctx, 'dilated transposed convolution');
  if (ctx.node.config['output_padding'] != null) throw unsupported(ctx, 'output_padding');
  const padding = String(ctx.node.config['padding'] ?? 'valid');
  const wt = new Float32Array(k.values.length);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let o = 0; o < cout; o++)
        for (let c = 0; c < cin; c++) wt[((c * cout + o) * kh + i) * kw + j] = k.values[((i * kw + j) * cout + o) * cin + c]! * (ctx.fold ? ctx.fold.scale[o]! : 1);
  const axis = (size: number, kk: number, s: number): { out: number; before: number; after: number; outPad: number } => {
    const outPad = Math.max(s - kk, 0);
    if (padding === 'same') {
      const total = Math.max(kk - s, 0);
      return { out: size * s, before: Math.floor(total / 2), after: total - Math.floor(total / 2), outPad };
    }
    return { out: size * s + Math.max(kk - s, 0), before: 0, after: 0, outPad };
  };
  const ah = axis(h, kh, strides[0]);
  const aw = axis(w, kw, strides[1]);
  const wName = ctx.b.weight(wt, [cin, cout, kh, kw], `${ctx.node.id}/kernel`);
  const bias = foldedBias(ctx, cout, ctx.fold);
  const inputs = [x.name, wName];
  if (bias) inputs.push(ctx.b.weight(bias, [cout], `${ctx.node.id}/bias`));
  const y = ctx.b.op(
    'ConvTranspose',
    inputs,
    { kernel_shape: [kh, kw], strides, pads: [ah.before, aw.before, ah.after, aw.after], output_padding: [ah.outPad, aw.outPad] },
    ctx.node.id,
  );
  return [layerActivation(ctx, { name: y, shape: [x.shape[0] ?? null, ah.out, aw.out, cout] })];
};

/** Emitters for convolution layers (BN folding applied through ctx.fold). */
export const convEmitters: Record<string, Emitter> = {
  Conv2D: conv2d,
  DepthwiseConv2D: depthwise,
  SeparableConv2D: separable,
  Conv2DTranspose: conv2dTranspose,
};

/** Layer classes whose output channels can absorb a following BatchNormalization. */
export const FOLDABLE = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose', 'Dense']);
