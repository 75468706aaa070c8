/**
 * Forward ONNX emitters with hand-written VJPs for the layers a trainable top can hold
 * (MobileNet-style tops, heads, the scratch CNN). Images are NHWC as TF.js holds them, except
 * between k×k convolutions, max poolings and activations, which work in NCHW (layout.ts); 1×1
 * convolutions run as matrix products, depthwise ones banded or tap by tap, k×k ones on Conv.
 */
import { isPinned } from '../model/modes.ts';
import type { tfl } from '../tf.ts';
import { like, toNchw, toNhwc } from './layout.ts';
import { kernelGradNchw, scatterTaps, tapSlices, type TapGeometry } from './taps.ts';
import { Unsupported, type GTensor, type GWeight, type Tape } from './tape.ts';

type Layer = tfl.layers.Layer;
type Cfg = Record<string, unknown>;

/** What a rule needs besides the tape and its inputs. */
export interface RuleContext {
  layer: Layer;
  /** A weight of the layer by parameter ('kernel', 'bias', 'gamma', ...); undefined when absent. */
  weight(param: string): GWeight | undefined;
  /** The values of a (frozen) weight, e.g. BatchNorm moving statistics. */
  values(param: string): Float32Array;
  /** The mask input of a dropout layer (training graphs only): 0 or 1/(1-rate), shape [N, ...shape]. */
  dropoutMask(shape: number[], rate: number): string;
  /** The BatchNormalization that follows this (linear, bias-free) convolution, folded into it. */
  fold?: RuleContext;
  /**
   * A ReLU moved past a max pooling (max commutes with it, values and gradients alike, ties
   * included): 'skip' on the k×k convolution whose activation it is, 'apply' on the pooling after it.
   */
  relu?: 'skip' | 'apply';
}

/** Layers whose ReLU activation can move past a following MaxPooling2D (see RuleContext.relu). */
export const RELU_MOVES = 'Conv2D';

/** Layers a following inference-mode BatchNormalization can be folded into. */
export const FOLDS_BN = new Set(['Conv2D', 'DepthwiseConv2D']);

type Rule = (t: Tape, c: RuleContext, xs: GTensor[]) => GTensor;

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v ?? 1), Number(v ?? 1)]);

/** TF 'same' / 'valid' padding as ONNX pads [top, left, bottom, right] and the output size. */
function pads2d(padding: unknown, h: number, w: number, k: [number, number], s: [number, number]): { pads: number[]; oh: number; ow: number } {
  if (padding === 'valid') return { pads: [0, 0, 0, 0], oh: Math.floor((h - k[0]) / s[0]) + 1, ow: Math.floor((w - k[1]) / s[1]) + 1 };
  if (padding !== 'same') throw new Unsupported(`padding '${String(padding)}'`);
  const oh = Math.ceil(h / s[0]);
  const ow = Math.ceil(w / s[1]);
  const ph = Math.max((oh - 1) * s[0] + k[0] - h, 0);
  const pw = Math.max((ow - 1) * s[1] + k[1] - w, 0);
  return { pads: [Math.floor(ph / 2), Math.floor(pw / 2), ph - Math.floor(ph / 2), pw - Math.floor(pw / 2)], oh, ow };
}

function image(x: GTensor, what: string): [number, number, number] {
  if (x.shape.length !== 3) throw new Unsupported(`${what} needs an image (rank-4) input`);
  return x.shape as [number, number, number];
}

function noDilation(cfg: Cfg, what: string): void {
  const [a, b] = pair(cfg['dilationRate']);
  if (a !== 1 || b !== 1) throw new Unsupported(`${what} with dilation`);
}

/** A mask multiplication as the gradient of a pointwise map: dy · cast(cond). */
function masked(t: Tape, dy: string, cond: string): string {
  return t.op('Mul', [dy, t.op('Cast', [cond], { to: 1 })]);
}

/** Per-channel sum of an NHWC / [N, C] gradient (reshaped to rows: onnxruntime's fast leading-axis reduction). */
function channelSum(t: Tape, dy: string, ch: number): string {
  return t.op('ReduceSum', [t.op('Reshape', [dy, t.i64([-1, ch])]), t.i64([0])], { keepdims: 0 });
}

/** Applies a Keras activation by name (softmax over the last axis of rank-2 tensors). */
export function activation(t: Tape, x: GTensor, name: unknown): GTensor {
  const act = String(name ?? 'linear');
  if (act === 'linear') return x;
  if (act === 'relu') {
    const y = like(x, t.op('Relu', [x.name]));
    return t.record([x], y, (dy) => [masked(t, dy, t.op('Greater', [x.name, t.f32(0)]))]);
  }
  if (act === 'relu6') return clipRelu(t, x, 6);
  if (act === 'softmax') {
    if (x.shape.length !== 1) throw new Unsupported('softmax over an image tensor');
    const p = t.op('Softmax', [x.name], { axis: -1 });
    const y = { name: p, shape: x.shape };
    return t.record([x], y, (dy) => {
      const dot = t.op('ReduceSum', [t.op('Mul', [dy, p]), t.i64([1])], { keepdims: 1 });
      return [t.op('Mul', [p, t.op('Sub', [dy, dot])])];
    });
  }
  throw new Unsupported(`activation '${act}'`);
}

/** clip(x, 0, hi) with the gradient dy where 0 < x ≤ hi (as TF.js's relu6 / clippedRelu). */
function clipRelu(t: Tape, x: GTensor, hi: number): GTensor {
  const y = like(x, t.op('Clip', [x.name, t.f32(0), t.f32(hi)]));
  return t.record([x], y, (dy) => [masked(t, dy, t.op('And', [t.op('Greater', [x.name, t.f32(0)]), t.op('LessOrEqual', [x.name, t.f32(hi)])]))]);
}

function conv2d(t: Tape, c: RuleContext, xs: GTensor[]): GTensor {
  const cfg = c.layer.getConfig();
  const [h, w, cin] = image(xs[0] as GTensor, 'Conv2D');
  noDilation(cfg, 'Conv2D');
  const kernel = c.weight('kernel') as GWeight;
  const [kh, kw, , cout] = kernel.shape as [number, number, number, number];
  const s = pair(cfg['strides']);
  const { pads, oh, ow } = pads2d(cfg['padding'], h, w, [kh, kw], s);
  const bias = c.weight('bias');
  const shape = [oh, ow, cout as number];
  const live = kernel.index >= 0 || (bias?.index ?? -1) >= 0;
  if (kh === 1 && kw === 1 && s[0] === 1 && s[1] === 1) {
    // A 1×1 convolution is a matrix product over the N·H·W rows of the NHWC tensor; a folded
    // BatchNorm scales its columns (W·a) and adds its shift as the product's bias.
    const x = toNhwc(t, xs[0] as GTensor);
    const fold = c.fold ? bnAffine(t, c.fold, 4) : undefined;
    const w2 = t.op('Reshape', [kernel.name, t.i64([cin, cout as number])]);
    const wf = fold ? t.op('Mul', [w2, fold.a]) : w2;
    const shift = fold ? fold.b : bias?.name;
    const x2 = t.op('Reshape', [x.name, t.i64([-1, cin])]);
    const z2 = shift ? t.op('Gemm', [x2, wf, shift]) : t.op('MatMul', [x2, wf]);
    const z = { name: t.op('Reshape', [z2, t.i64([-1, h, w, cout as number])]), shape };
    t.record([x], z, (dy) => {
      const dy2 = t.op('Reshape', [dy, t.i64([-1, cout as number])]);
      const gw = t.op('Gemm', [x2, dy2], { transA: 1 });
      t.weightGrad(kernel, t.op('Reshape', [fold ? t.op('Mul', [gw, fold.a]) : gw, t.i64(kernel.shape)]));
      const db = bias || fold ? t.op('ReduceSum', [dy2, t.i64([0])], { keepdims: 0 }) : undefined;
      if (bias) t.weightGrad(bias, db as string);
      fold?.grads(t.op('ReduceSum', [t.op('Mul', [gw, w2]), t.i64([0])], { keepdims: 0 }), db as string);
      return [t.isLive(x) ? t.op('Reshape', [t.op('Gemm', [dy2, wf], { transB: 1 }), t.i64([-1, h, w, cin])]) : null];
    }, live || fold?.live === true);
    return activation(t, z, cfg['activation']);
  }
  if (c.fold) throw new Unsupported('a BatchNormalization folded into a k×k convolution');
  // k×k in NCHW (kept so between convolutions, poolings and activations: layout.ts): onnxruntime's
  // Conv forward, the input gradient as a Conv too (or ConvTranspose), the kernel gradient as one
  // batched matrix product over the input's columns (taps.ts).
  const x = toNchw(t, xs[0] as GTensor);
  const wt = t.op('Transpose', [kernel.name], { perm: [3, 2, 0, 1] });
  const z: GTensor = { name: t.op('Conv', [x.name, wt, ...(bias ? [bias.name] : [])], { strides: s, pads }), shape, layout: 'nchw' };
  t.record([x], z, (dy) => {
    const g = { h, w, ch: cin, k: [kh, kw] as [number, number], s, pads, oh, ow, layout: 'nchw' as const, cout: cout as number };
    t.weightGrad(kernel, t.op('Reshape', [kernelGradNchw(t, x.name, dy, g), t.i64(kernel.shape)]));
    if (bias) t.weightGrad(bias, t.op('ReduceSum', [dy, t.i64([0, 2, 3])], { keepdims: 0 }));
    return [t.isLive(x) ? convInputGrad(t, dy, wt, g) : null];
  }, live);
  return c.relu === 'skip' ? z : activation(t, z, cfg['activation']);
}

/**
 * The input gradient of a convolution (NCHW, kernel wt [cout, cin, kh, kw]). Stride 1: a forward
 * Conv of dy with the kernel flipped and its channel axes swapped, padded by k − 1 − pad (onnxruntime's
 * Conv runs ~1.5× faster than its ConvTranspose here). Other strides: ConvTranspose with the
 * output padding that restores H×W.
 */
function convInputGrad(t: Tape, dy: string, wt: string, g: { s: [number, number]; pads: number[]; k: [number, number]; h: number; w: number; oh: number; ow: number }): string {
  const [pt, pl, pb, pr] = g.pads as [number, number, number, number];
  const [kh, kw] = g.k;
  if (g.s[0] === 1 && g.s[1] === 1 && Math.max(pt, pb) < kh && Math.max(pl, pr) < kw) {
    const flipped = t.op('Slice', [t.op('Transpose', [wt], { perm: [1, 0, 2, 3] }), t.i64([-1, -1]), t.i64([-(kh + 1), -(kw + 1)]), t.i64([2, 3]), t.i64([-1, -1])]);
    return t.op('Conv', [dy, flipped], { pads: [kh - 1 - pt, kw - 1 - pl, kh - 1 - pb, kw - 1 - pr] });
  }
  const opH = g.h - ((g.oh - 1) * g.s[0] + g.k[0] - (g.pads[0] as number) - (g.pads[2] as number));
  const opW = g.w - ((g.ow - 1) * g.s[1] + g.k[1] - (g.pads[1] as number) - (g.pads[3] as number));
  if (opH < 0 || opW < 0 || opH >= g.s[0] || opW >= g.s[1]) throw new Unsupported('a convolution whose input gradient needs cropping');
  return t.op('ConvTranspose', [dy, wt], { strides: g.s, pads: g.pads, output_padding: [opH, opW] });
}

function depthwise(t: Tape, c: RuleContext, xs: GTensor[]): GTensor {
  const x = xs[0] as GTensor;
  const cfg = c.layer.getConfig();
  const [h, w, ch] = image(x, 'DepthwiseConv2D');
  noDilation(cfg, 'DepthwiseConv2D');
  if (Number(cfg['depthMultiplier'] ?? 1) !== 1) throw new Unsupported('DepthwiseConv2D with depthMultiplier ≠ 1');
  const kernel = c.weight('depthwise_kernel') as GWeight;
  const [kh, kw] = kernel.shape as [number, number];
  const s = pair(cfg['strides']);
  const { pads, oh, ow } = pads2d(cfg['padding'], h, w, [kh, kw], s);
  const bias = c.weight('bias');
  if (h * w * oh * ow <= BANDED_MAX) return banded(t, c, x, { kernel, bias, k: [kh, kw], s, pads, oh, ow });
  // NHWC, one tap at a time: y = Σ_taps x_pad[tap-shifted, strided] · w[tap] (per channel).
  const g: TapGeometry = { h, w, ch, k: [kh, kw], s, pads, oh, ow, layout: 'nhwc' };
  const fold = c.fold ? bnAffine(t, c.fold, 4) : undefined;
  const wk = t.op('Reshape', [kernel.name, t.i64([kh * kw, ch])]);
  const wf = fold ? t.op('Mul', [wk, fold.a]) : wk;
  const shift = fold ? fold.b : bias?.name;
  const slices = tapSlices(t, x.name, g);
  const wts = slices.map((_, n) => t.op('Gather', [wf, t.i64([n])], { axis: 0 }));
  const sum = t.op('Sum', slices.map((sl, n) => t.op('Mul', [sl, wts[n] as string])));
  const z = { name: shift ? t.op('Add', [sum, shift]) : sum, shape: [oh, ow, ch] };
  t.record([x], z, (dy) => {
    const rows = slices.map((sl) => t.op('ReduceSum', [t.op('Reshape', [t.op('Mul', [sl, dy]), t.i64([-1, ch])]), t.i64([0])], { keepdims: 1 }));
    const gw = t.op('Concat', rows, { axis: 0 });
    t.weightGrad(kernel, t.op('Reshape', [fold ? t.op('Mul', [gw, fold.a]) : gw, t.i64(kernel.shape)]));
    const db = bias || fold ? channelSum(t, dy, ch) : undefined;
    if (bias) t.weightGrad(bias, db as string);
    fold?.grads(t.op('ReduceSum', [t.op('Mul', [gw, wk]), t.i64([0])], { keepdims: 0 }), db as string);
    if (!t.isLive(x)) return [null];
    return [scatterTaps(t, wts.map((wt) => t.op('Mul', [dy, wt])), g)];
  }, kernel.index >= 0 || (bias?.index ?? -1) >= 0 || fold?.live === true);
  return activation(t, z, cfg['activation']);
}

/** A per-channel affine map y = x·a + b and how its parameters' gradients reach γ and β. */
interface Affine {
  a: string;
  b: string;
  /** Whether γ or β trains. */
  live: boolean;
  /** Adds γ and β gradients from ∂L/∂a (through the map's input side only) and ∂L/∂b. */
  grads(dA: string, dB: string): void;
}

/**
 * BatchNormalization in inference mode as an affine map over the last axis: a = γ/√(σ²+ε),
 * b = β − μ·a (so ∂L/∂γ = (∂L/∂a − μ·∂L/∂b)/√(σ²+ε), ∂L/∂β = ∂L/∂b).
 */
function bnAffine(t: Tape, c: RuleContext, rank: number): Affine {
  const cfg = c.layer.getConfig();
  const axis = Array.isArray(cfg['axis']) ? (cfg['axis'] as number[]) : [Number(cfg['axis'] ?? -1)];
  if (axis.length !== 1 || ((axis[0] as number) + rank) % rank !== rank - 1) throw new Unsupported('BatchNormalization over an axis other than the last');
  if (t.training && !isPinned(c.layer)) throw new Unsupported('BatchNormalization in training mode (batch statistics)');
  const eps = Number(cfg['epsilon'] ?? 1e-3);
  const mean = c.values('moving_mean');
  const inv = c.values('moving_variance').map((v) => 1 / Math.sqrt(v + eps));
  const gamma = c.weight('gamma');
  const beta = c.weight('beta');
  const invC = t.b.constF32(inv, [inv.length], 'bn_inv');
  const meanC = t.b.constF32(mean, [mean.length], 'bn_mean');
  const a = gamma ? t.op('Mul', [gamma.name, invC]) : invC;
  const shift = t.op('Neg', [t.op('Mul', [meanC, a])]);
  return {
    a,
    b: beta ? t.op('Add', [beta.name, shift]) : shift,
    live: (gamma?.index ?? -1) >= 0 || (beta?.index ?? -1) >= 0,
    grads(dA, dB) {
      if (gamma) t.weightGrad(gamma, t.op('Mul', [t.op('Sub', [dA, t.op('Mul', [dB, meanC])]), invC]));
      if (beta) t.weightGrad(beta, dB);
    },
  };
}

/** Depthwise convolutions with at most this many (input × output) positions run as banded matrix products. */
const BANDED_MAX = 4096;

/**
 * A depthwise convolution on a small feature map as one batched matrix product per channel:
 * y_c [N, HW_out] = x_c [N, HW_in] · M_c with M_c = Σ_taps w_c[tap]·P_tap, where the constant
 * P_tap [HW_in, HW_out] marks which input position each output position reads through the tap
 * (strides and padding included). Gradients: dx_c = dy_c·M_cᵀ, dM_c = x_cᵀ·dy_c, dw_c = dM_c·Pᵀ.
 */
function banded(
  t: Tape,
  c: RuleContext,
  x: GTensor,
  g: { kernel: GWeight; bias: GWeight | undefined; k: [number, number]; s: [number, number]; pads: number[]; oh: number; ow: number },
): GTensor {
  const [h, w, ch] = x.shape as [number, number, number];
  const { kernel, bias, k, s, pads, oh, ow } = g;
  const kk = k[0] * k[1];
  const [hin, hout] = [h * w, oh * ow];
  const p = new Float32Array(kk * hin * hout);
  for (let i = 0; i < k[0]; i++) {
    for (let j = 0; j < k[1]; j++) {
      for (let y = 0; y < oh; y++) {
        for (let z = 0; z < ow; z++) {
          const iy = y * s[0] + i - (pads[0] as number);
          const ix = z * s[1] + j - (pads[1] as number);
          if (iy >= 0 && iy < h && ix >= 0 && ix < w) p[(i * k[1] + j) * hin * hout + (iy * w + ix) * hout + y * ow + z] = 1;
        }
      }
    }
  }
  const pc = t.b.constF32(p, [kk, hin * hout], 'dw_band');
  const fold = c.fold ? bnAffine(t, c.fold, 4) : undefined;
  const wk = t.op('Reshape', [kernel.name, t.i64([kk, ch])]);
  const wf = fold ? t.op('Mul', [wk, fold.a]) : wk;
  const shift = fold ? fold.b : bias?.name;
  const m = t.op('Reshape', [t.op('MatMul', [t.op('Transpose', [wf], { perm: [1, 0] }), pc]), t.i64([ch, hin, hout])]);
  const xt = t.op('Transpose', [t.op('Reshape', [x.name, t.i64([-1, hin, ch])])], { perm: [2, 0, 1] });
  const back = (v: string, hh: number, ww: number): string => t.op('Reshape', [t.op('Transpose', [v], { perm: [1, 2, 0] }), t.i64([-1, hh, ww, ch])]);
  const yc = back(t.op('MatMul', [xt, m]), oh, ow);
  const z = { name: shift ? t.op('Add', [yc, shift]) : yc, shape: [oh, ow, ch] };
  t.record([x], z, (dy) => {
    const dyt = t.op('Transpose', [t.op('Reshape', [dy, t.i64([-1, hout, ch])])], { perm: [2, 0, 1] });
    // xtᵀ·dyt per channel with the transpose inside the product: a Transpose node here would merge
    // with xt's own into one that moves two axes, which onnxruntime runs element by element on one thread.
    const dm = t.msOp('FusedMatMul', [xt, dyt], { transA: 1 });
    const gw = t.op('Transpose', [t.op('Gemm', [t.op('Reshape', [dm, t.i64([ch, hin * hout])]), pc], { transB: 1 })], { perm: [1, 0] });
    t.weightGrad(kernel, t.op('Reshape', [fold ? t.op('Mul', [gw, fold.a]) : gw, t.i64(kernel.shape)]));
    const db = bias || fold ? channelSum(t, dy, ch) : undefined;
    if (bias) t.weightGrad(bias, db as string);
    fold?.grads(t.op('ReduceSum', [t.op('Mul', [gw, wk]), t.i64([0])], { keepdims: 0 }), db as string);
    return [t.isLive(x) ? back(t.op('MatMul', [dyt, t.op('Transpose', [m], { perm: [0, 2, 1] })]), h, w) : null];
  }, kernel.index >= 0 || (bias?.index ?? -1) >= 0 || fold?.live === true);
  return activation(t, z, c.layer.getConfig()['activation']);
}

function batchNorm(t: Tape, c: RuleContext, xs: GTensor[]): GTensor {
  const x = xs[0] as GTensor;
  const ch = x.shape[x.shape.length - 1] as number;
  const f = bnAffine(t, c, x.shape.length + 1);
  const y = { name: t.op('Add', [t.op('Mul', [x.name, f.a]), f.b]), shape: x.shape };
  return t.record([x], y, (dy) => {
    f.grads(channelSum(t, t.op('Mul', [dy, x.name]), ch), channelSum(t, dy, ch));
    return [t.isLive(x) ? t.op('Mul', [dy, f.a]) : null];
  }, f.live);
}

function dense(t: Tape, c: RuleContext, xs: GTensor[]): GTensor {
  const x = xs[0] as GTensor;
  if (x.shape.length !== 1) throw new Unsupported('Dense on a tensor of rank > 2');
  const kernel = c.weight('kernel') as GWeight;
  const bias = c.weight('bias');
  const units = kernel.shape[1] as number;
  const mm = t.op('MatMul', [x.name, kernel.name]);
  const z = { name: bias ? t.op('Add', [mm, bias.name]) : mm, shape: [units] };
  t.record([x], z, (dy) => {
    t.weightGrad(kernel, t.op('Gemm', [x.name, dy], { transA: 1 }));
    if (bias) t.weightGrad(bias, t.op('ReduceSum', [dy, t.i64([0])], { keepdims: 0 }));
    return [t.isLive(x) ? t.op('Gemm', [dy, kernel.name], { transB: 1 }) : null];
  }, kernel.index >= 0 || (bias?.index ?? -1) >= 0);
  return activation(t, z, c.layer.getConfig()['activation']);
}

function relu(t: Tape, c: RuleContext, xs: GTensor[]): GTensor {
  const x = xs[0] as GTensor;
  const cfg = c.layer.getConfig();
  if (Number(cfg['negativeSlope'] ?? 0) !== 0 || Number(cfg['threshold'] ?? 0) !== 0) throw new Unsupported('ReLU with a slope or threshold');
  const hi = cfg['maxValue'];
  return typeof hi === 'number' ? clipRelu(t, x, hi) : activation(t, x, 'relu');
}

function add(t: Tape, _c: RuleContext, xs: GTensor[]): GTensor {
  const shape = (xs[0] as GTensor).shape;
  if (xs.some((x) => x.shape.join() !== shape.join())) throw new Unsupported('Add with broadcasting');
  const y = { name: t.op('Sum', xs.map((x) => x.name)), shape };
  return t.record(xs, y, (dy) => xs.map(() => dy));
}

function zeroPad(t: Tape, c: RuleContext, xs: GTensor[]): GTensor {
  const x = xs[0] as GTensor;
  const [h, w, ch] = image(x, 'ZeroPadding2D');
  const p = c.layer.getConfig()['padding'];
  const [[pt, pb], [pl, pr]] = (Array.isArray(p) && Array.isArray(p[0]) ? p : [pair(p), pair(p)]) as [[number, number], [number, number]];
  const y = { name: t.op('Pad', [x.name, t.i64([0, pt, pl, 0, 0, pb, pr, 0])]), shape: [h + pt + pb, w + pl + pr, ch] };
  return t.record([x], y, (dy) => [t.op('Slice', [dy, t.i64([pt, pl]), t.i64([pt + h, pl + w]), t.i64([1, 2])])]);
}

function globalPool(kind: 'avg' | 'max'): Rule {
  return (t, _c, xs) => {
    const x = xs[0] as GTensor;
    const [h, w, ch] = image(x, `Global${kind === 'avg' ? 'Average' : 'Max'}Pooling2D`);
    const pooled = t.op(kind === 'avg' ? 'ReduceMean' : 'ReduceMax', [x.name], { axes: [1, 2], keepdims: 1 });
    const y = { name: t.op('Reshape', [pooled, t.i64([-1, ch])]), shape: [ch] };
    return t.record([x], y, (dy) => {
      const d4 = t.op('Reshape', [dy, t.i64([-1, 1, 1, ch])]);
      if (kind === 'avg') return [t.op('Expand', [t.op('Mul', [d4, t.f32(1 / (h * w))]), t.op('Shape', [x.name])])];
      // As TF.js's max gradient: every position equal to the maximum receives dy.
      return [masked(t, d4, t.op('Equal', [x.name, pooled]))];
    });
  };
}

function flatten(t: Tape, _c: RuleContext, xs: GTensor[]): GTensor {
  const x = xs[0] as GTensor;
  if (x.shape.length === 1) return x;
  const y = { name: t.op('Flatten', [x.name], { axis: 1 }), shape: [x.shape.reduce((a, d) => a * d, 1)] };
  return t.record([x], y, (dy) => [t.op('Reshape', [dy, t.op('Shape', [x.name])])]);
}

function dropout(t: Tape, c: RuleContext, xs: GTensor[]): GTensor {
  const x = xs[0] as GTensor;
  const cfg = c.layer.getConfig();
  const rate = Number(cfg['rate'] ?? 0);
  if (!t.training || rate <= 0) return x;
  if (cfg['noiseShape'] != null) throw new Unsupported('Dropout with a noise shape');
  const mask = c.dropoutMask(x.shape, rate);
  const y = { name: t.op('Mul', [x.name, mask]), shape: x.shape };
  return t.record([x], y, (dy) => [t.op('Mul', [dy, mask])]);
}

function maxPool(t: Tape, c: RuleContext, xs: GTensor[]): GTensor {
  const cfg = c.layer.getConfig();
  const [h, w, ch] = image(xs[0] as GTensor, 'MaxPooling2D');
  const k = pair(cfg['poolSize'] ?? 2);
  const s = cfg['strides'] == null ? k : pair(cfg['strides']);
  const { pads, oh, ow } = pads2d(cfg['padding'] ?? 'valid', h, w, k, s);
  const x = toNchw(t, xs[0] as GTensor);
  const yc = t.op('MaxPool', [x.name], { kernel_shape: k, strides: s, pads });
  const indices = t.b.unique('maxpool_indices');
  t.b.nodes[t.b.nodes.length - 1]?.output.push(indices);
  const y: GTensor = { name: yc, shape: [oh, ow, ch], layout: 'nchw' };
  t.record([x], y, (dy) => {
    // Indices address the flattened input; windows that do not overlap put each dy at its own
    // index (MaxUnpool), overlapping ones sum the dy of every window an input wins.
    if (k[0] <= s[0] && k[1] <= s[1]) return [t.op('MaxUnpool', [dy, indices, t.op('Shape', [x.name])], { kernel_shape: k, strides: s, pads })];
    const zeros = t.op('ConstantOfShape', [t.op('Reshape', [t.op('Size', [x.name]), t.i64([1])])]);
    const flat = t.op('ScatterElements', [zeros, t.op('Reshape', [indices, t.i64([-1])]), t.op('Reshape', [dy, t.i64([-1])])], { axis: 0, reduction: 'add' });
    return [t.op('Reshape', [flat, t.op('Shape', [x.name])])];
  });
  return c.relu === 'apply' ? activation(t, y, 'relu') : y;
}

/** The rules by Keras class name. */
export const RULES: Record<string, Rule> = {
  Conv2D: conv2d,
  DepthwiseConv2D: depthwise,
  BatchNormalization: batchNorm,
  Dense: dense,
  ReLU: relu,
  Activation: (t, c, xs) => activation(t, xs[0] as GTensor, c.layer.getConfig()['activation']),
  Add: add,
  ZeroPadding2D: zeroPad,
  GlobalAveragePooling2D: globalPool('avg'),
  GlobalMaxPooling2D: globalPool('max'),
  Flatten: flatten,
  Dropout: dropout,
  MaxPooling2D: maxPool,
};
