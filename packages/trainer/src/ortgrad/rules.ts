/**
 * Forward ONNX emitters with hand-written VJPs for the layers a trainable top can hold
 * (MobileNet-style tops, heads, the scratch CNN). Images run NCHW inside the graph.
 */
import { isPinned } from '../model/modes.ts';
import type { tfl } from '../tf.ts';
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
}

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

/** Applies a Keras activation by name (softmax over the last axis of rank-2 tensors). */
export function activation(t: Tape, x: GTensor, name: unknown): GTensor {
  const act = String(name ?? 'linear');
  if (act === 'linear') return x;
  if (act === 'relu') {
    const y = { name: t.op('Relu', [x.name]), shape: x.shape };
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
  const y = { name: t.op('Clip', [x.name, t.f32(0), t.f32(hi)]), shape: x.shape };
  return t.record([x], y, (dy) => [masked(t, dy, t.op('And', [t.op('Greater', [x.name, t.f32(0)]), t.op('LessOrEqual', [x.name, t.f32(hi)])]))]);
}

/** Transposes a weight input/initializer into another layout. */
function perm(t: Tape, w: GWeight, p: number[]): string {
  return t.op('Transpose', [w.name], { perm: p });
}

function conv2d(t: Tape, c: RuleContext, xs: GTensor[]): GTensor {
  const x = xs[0] as GTensor;
  const cfg = c.layer.getConfig();
  const [cin, h, w] = image(x, 'Conv2D');
  noDilation(cfg, 'Conv2D');
  const kernel = c.weight('kernel') as GWeight;
  const [kh, kw, , cout] = kernel.shape as [number, number, number, number];
  const s = pair(cfg['strides']);
  const { pads, oh, ow } = pads2d(cfg['padding'], h, w, [kh, kw], s);
  const wt = perm(t, kernel, [3, 2, 0, 1]);
  const bias = c.weight('bias');
  const z = { name: t.op('Conv', [x.name, wt, ...(bias ? [bias.name] : [])], { strides: s, pads }), shape: [cout as number, oh, ow] };
  const pointwise = kh === 1 && kw === 1 && s[0] === 1 && s[1] === 1 && pads.every((p) => p === 0);
  t.record([x], z, (dy) => {
    if (pointwise) {
      // [N, Cin, HW] × [N, HW, Cout] summed over N: the 1×1 filter gradient as one batched MatMul.
      const xf = t.op('Reshape', [x.name, t.i64([0, cin, h * w])]);
      const dyf = t.op('Transpose', [t.op('Reshape', [dy, t.i64([0, cout as number, h * w])])], { perm: [0, 2, 1] });
      const g = t.op('ReduceSum', [t.op('MatMul', [xf, dyf]), t.i64([0])], { keepdims: 0 });
      t.weightGrad(kernel, t.op('Reshape', [g, t.i64(kernel.shape)]));
    } else {
      // Batch and channels swapped: Conv(xᵀ [Cin,N,H,W], dyᵀ [Cout,N,oh,ow], dilation = stride) = dW [Cin,Cout,kh',kw'].
      const xt = t.op('Transpose', [x.name], { perm: [1, 0, 2, 3] });
      const dyt = t.op('Transpose', [dy], { perm: [1, 0, 2, 3] });
      let g = t.op('Conv', [xt, dyt], { pads, dilations: s });
      g = t.op('Slice', [g, t.i64([0, 0]), t.i64([kh, kw]), t.i64([2, 3])]);
      t.weightGrad(kernel, t.op('Transpose', [g], { perm: [2, 3, 0, 1] }));
    }
    if (bias) t.weightGrad(bias, t.op('ReduceSum', [dy, t.i64([0, 2, 3])], { keepdims: 0 }));
    if (!t.isLive(x)) return [null];
    if (pointwise) return [t.op('Conv', [dy, t.op('Transpose', [wt], { perm: [1, 0, 2, 3] })])];
    return [convTranspose(t, dy, wt, { s, pads, k: [kh, kw], h, w, oh, ow, group: 1 })];
  }, kernel.index >= 0 || (bias?.index ?? -1) >= 0);
  return activation(t, z, cfg['activation']);
}

/** The input gradient of a (grouped) convolution: ConvTranspose with the output padding that restores H×W. */
function convTranspose(t: Tape, dy: string, wt: string, g: { s: [number, number]; pads: number[]; k: [number, number]; h: number; w: number; oh: number; ow: number; group: number }): string {
  const opH = g.h - ((g.oh - 1) * g.s[0] + g.k[0] - (g.pads[0] as number) - (g.pads[2] as number));
  const opW = g.w - ((g.ow - 1) * g.s[1] + g.k[1] - (g.pads[1] as number) - (g.pads[3] as number));
  if (opH < 0 || opW < 0 || opH >= g.s[0] || opW >= g.s[1]) throw new Unsupported('a convolution whose input gradient needs cropping');
  return t.op('ConvTranspose', [dy, wt], { strides: g.s, pads: g.pads, output_padding: [opH, opW], group: g.group });
}

function depthwise(t: Tape, c: RuleContext, xs: GTensor[]): GTensor {
  const x = xs[0] as GTensor;
  const cfg = c.layer.getConfig();
  const [ch, h, w] = image(x, 'DepthwiseConv2D');
  noDilation(cfg, 'DepthwiseConv2D');
  if (Number(cfg['depthMultiplier'] ?? 1) !== 1) throw new Unsupported('DepthwiseConv2D with depthMultiplier ≠ 1');
  const kernel = c.weight('depthwise_kernel') as GWeight;
  const [kh, kw] = kernel.shape as [number, number];
  const s = pair(cfg['strides']);
  const { pads, oh, ow } = pads2d(cfg['padding'], h, w, [kh, kw], s);
  const wt = perm(t, kernel, [2, 3, 0, 1]);
  const bias = c.weight('bias');
  const z = { name: t.op('Conv', [x.name, wt, ...(bias ? [bias.name] : [])], { strides: s, pads, group: ch }), shape: [ch, oh, ow] };
  t.record([x], z, (dy) => {
    // dW[i,j,c] = Σ_{n,y,x} dy · x_pad shifted by the tap (i, j): one Mul + ReduceSum per tap.
    const xp = pads.some((p) => p > 0) ? t.op('Pad', [x.name, t.i64([0, 0, pads[0] as number, pads[1] as number, 0, 0, pads[2] as number, pads[3] as number])]) : x.name;
    const taps: string[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const sl = t.op('Slice', [xp, t.i64([i, j]), t.i64([i + (oh - 1) * s[0] + 1, j + (ow - 1) * s[1] + 1]), t.i64([2, 3]), t.i64(s)]);
        taps.push(t.op('ReduceSum', [t.op('Mul', [sl, dy]), t.i64([0, 2, 3])], { keepdims: 1 }));
      }
    }
    t.weightGrad(kernel, t.op('Reshape', [t.op('Concat', taps, { axis: 0 }), t.i64(kernel.shape)]));
    if (bias) t.weightGrad(bias, t.op('ReduceSum', [dy, t.i64([0, 2, 3])], { keepdims: 0 }));
    return [t.isLive(x) ? convTranspose(t, dy, wt, { s, pads, k: [kh, kw], h, w, oh, ow, group: ch }) : null];
  }, kernel.index >= 0 || (bias?.index ?? -1) >= 0);
  return activation(t, z, cfg['activation']);
}

function batchNorm(t: Tape, c: RuleContext, xs: GTensor[]): GTensor {
  const x = xs[0] as GTensor;
  const cfg = c.layer.getConfig();
  const axis = Array.isArray(cfg['axis']) ? (cfg['axis'] as number[]) : [Number(cfg['axis'] ?? -1)];
  const rank = x.shape.length + 1;
  if (axis.length !== 1 || ((axis[0] as number) + rank) % rank !== rank - 1) throw new Unsupported('BatchNormalization over an axis other than the last');
  if (t.training && !isPinned(c.layer)) throw new Unsupported('BatchNormalization in training mode (batch statistics)');
  const ch = x.shape[0] as number;
  const bshape = x.shape.length === 3 ? [ch, 1, 1] : [ch];
  const eps = Number(cfg['epsilon'] ?? 1e-3);
  const mean = c.values('moving_mean');
  const inv = c.values('moving_variance').map((v) => 1 / Math.sqrt(v + eps));
  const gamma = c.weight('gamma');
  const beta = c.weight('beta');
  // y = x·a + b with a = γ/√(σ²+ε), b = β − μ·a (BatchNorm in inference mode is an affine map).
  const invC = t.b.constF32(inv, bshape, 'bn_inv');
  const meanC = t.b.constF32(mean, bshape, 'bn_mean');
  const a = gamma ? t.op('Mul', [t.op('Reshape', [gamma.name, t.i64(bshape)]), invC]) : invC;
  const shift = t.op('Neg', [t.op('Mul', [meanC, a])]);
  const b = beta ? t.op('Add', [t.op('Reshape', [beta.name, t.i64(bshape)]), shift]) : shift;
  const y = { name: t.op('Add', [t.op('Mul', [x.name, a]), b]), shape: x.shape };
  const axes = x.shape.length === 3 ? [0, 2, 3] : [0];
  return t.record([x], y, (dy) => {
    if (gamma) t.weightGrad(gamma, t.op('ReduceSum', [t.op('Mul', [dy, t.op('Mul', [t.op('Sub', [x.name, meanC]), invC])]), t.i64(axes)], { keepdims: 0 }));
    if (beta) t.weightGrad(beta, t.op('ReduceSum', [dy, t.i64(axes)], { keepdims: 0 }));
    return [t.isLive(x) ? t.op('Mul', [dy, a]) : null];
  }, (gamma?.index ?? -1) >= 0 || (beta?.index ?? -1) >= 0);
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
  const [ch, h, w] = image(x, 'ZeroPadding2D');
  const p = c.layer.getConfig()['padding'];
  const [[pt, pb], [pl, pr]] = (Array.isArray(p) && Array.isArray(p[0]) ? p : [pair(p), pair(p)]) as [[number, number], [number, number]];
  const y = { name: t.op('Pad', [x.name, t.i64([0, 0, pt, pl, 0, 0, pb, pr])]), shape: [ch, h + pt + pb, w + pl + pr] };
  return t.record([x], y, (dy) => [t.op('Slice', [dy, t.i64([pt, pl]), t.i64([pt + h, pl + w]), t.i64([2, 3])])]);
}

function globalPool(kind: 'avg' | 'max'): Rule {
  return (t, _c, xs) => {
    const x = xs[0] as GTensor;
    const [ch, h, w] = image(x, `Global${kind === 'avg' ? 'Average' : 'Max'}Pooling2D`);
    const pooled = t.op(kind === 'avg' ? 'GlobalAveragePool' : 'GlobalMaxPool', [x.name]);
    const y = { name: t.op('Flatten', [pooled], { axis: 1 }), shape: [ch] };
    return t.record([x], y, (dy) => {
      const d4 = t.op('Reshape', [dy, t.i64([0, ch, 1, 1])]);
      if (kind === 'avg') return [t.op('Expand', [t.op('Mul', [d4, t.f32(1 / (h * w))]), t.op('Shape', [x.name])])];
      // As TF.js's max gradient: every position equal to the maximum receives dy.
      return [masked(t, d4, t.op('Equal', [x.name, pooled]))];
    });
  };
}

function flatten(t: Tape, _c: RuleContext, xs: GTensor[]): GTensor {
  const x = xs[0] as GTensor;
  if (x.shape.length === 1) return x;
  const [ch, h, w] = image(x, 'Flatten');
  // Keras flattens NHWC: channels last.
  const y = { name: t.op('Flatten', [t.op('Transpose', [x.name], { perm: [0, 2, 3, 1] })], { axis: 1 }), shape: [ch * h * w] };
  return t.record([x], y, (dy) => [t.op('Transpose', [t.op('Reshape', [dy, t.i64([0, h, w, ch])])], { perm: [0, 3, 1, 2] })]);
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
  const x = xs[0] as GTensor;
  const cfg = c.layer.getConfig();
  const [ch, h, w] = image(x, 'MaxPooling2D');
  const k = pair(cfg['poolSize'] ?? 2);
  const s = cfg['strides'] == null ? k : pair(cfg['strides']);
  const { pads, oh, ow } = pads2d(cfg['padding'] ?? 'valid', h, w, k, s);
  const yName = t.op('MaxPool', [x.name], { kernel_shape: k, strides: s, pads });
  const node = t.b.nodes[t.b.nodes.length - 1];
  const indices = t.b.unique('maxpool_indices');
  node?.output.push(indices);
  const y = { name: yName, shape: [ch, oh, ow] };
  return t.record([x], y, (dy) => {
    // Indices address the flattened NCHW input (batch included): scatter dy back there.
    const size = t.op('Reshape', [t.op('Size', [x.name]), t.i64([1])]);
    const zeros = t.op('ConstantOfShape', [size]);
    const flat = t.op('ScatterElements', [zeros, t.op('Reshape', [indices, t.i64([-1])]), t.op('Reshape', [dy, t.i64([-1])])], { axis: 0, reduction: 'add' });
    return [t.op('Reshape', [flat, t.op('Shape', [x.name])])];
  });
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
