/**
 * Builds, from a TF.js model (a phase's trainable top), ONE ONNX graph computing a training step:
 * forward, the loss `shareLoss` computes, and the gradient of every trainable weight in TF.js's
 * layout — or, for validation, the forward pass alone.
 */
import { DataType, encodeModel, MS_DOMAIN, type ValueInfoMsg } from '@headstart/exporter';
import { modelGraph } from '../model/graph.ts';
import type { LayersModel } from '../tf.ts';
import { toNhwc } from './layout.ts';
import { FOLDS_BN, RELU_MOVES, RULES, type RuleContext } from './rules.ts';
import { Tape, Unsupported, type GTensor, type GWeight } from './tape.ts';

/** A dropout mask the caller feeds each step. */
export interface MaskSpec {
  name: string;
  /** Shape without the batch axis, in the graph's layout. */
  shape: number[];
  rate: number;
}

/** The step graph and what its inputs and outputs mean. */
export interface StepGraph {
  bytes: Uint8Array;
  /** Graph inputs of the model inputs (NHWC, as TF.js feeds them), in model order. */
  inputs: string[];
  /** Graph inputs of the trainable weights, by index in `model.trainableWeights`. */
  weights: string[];
  masks: MaskSpec[];
  /** Training graphs: 'loss' [1], 'pred' [N] (predicted class as float) and one gradient output per trainable weight ('g<i>'). Eval graphs: 'probs'. */
  grads: string[];
}

/** Options of {@link buildStepGraph}. */
export interface StepGraphOptions {
  classes: number;
  /** Training graph (loss and gradients) or forward-only (probabilities). */
  training: boolean;
  /** L2 penalties on weights named like the fit loop's (`originalName` or `name`). */
  l2?: { weight: string; l2: number }[];
}

const OPSET = 17;

/** Rules that read NCHW image tensors themselves (see layout.ts); the others are given NHWC. */
const LAYOUT_AWARE = new Set(['Conv2D', 'MaxPooling2D', 'ReLU', 'Activation']);

function valueInfo(name: string, dims: (number | string)[]): ValueInfoMsg {
  return { name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } } };
}

/**
 * The step graph of `model`. Throws {@link Unsupported} (with the reason) when a layer has no
 * VJP rule here; the caller then trains with TF.js.
 */
export function buildStepGraph(model: LayersModel, o: StepGraphOptions): StepGraph {
  const t = new Tape(o.training);
  const b = t.b;
  const graphInputs: ValueInfoMsg[] = [];
  const trainable = model.trainableWeights;
  const weightInputs = trainable.map((w, i) => b.reserve(`w${i}`));
  trainable.forEach((w, i) => graphInputs.push(valueInfo(weightInputs[i] as string, w.shape as number[])));
  const declared = new Map<string, GWeight>();
  const masks: MaskSpec[] = [];
  const tensors = new Map<string, GTensor>();
  const inputNames: string[] = [];
  const inputLayers = model.inputs.map((s) => s.sourceLayer.name);
  model.inputs.forEach((s, k) => {
    const name = b.reserve(`x${k}`);
    inputNames.push(name);
    const shape = (s.shape as number[]).slice(1);
    graphInputs.push(valueInfo(name, ['N', ...shape]));
    tensors.set(`${inputLayers[k]}:0`, { name, shape });
  });

  const graph = modelGraph(model);
  const folds = foldPlan(model, graph);
  const moved = reluPlan(model, graph);
  const pools = new Set(moved.values());
  const makeCtx = (name: string): RuleContext => {
    const layer = model.getLayer(name);
    const find = (param: string) => layer.weights.find((w) => w.originalName.split('/').pop() === param);
    const ctx: RuleContext = {
      layer,
      weight(param) {
        const w = find(param);
        if (!w) return undefined;
        const known = declared.get(w.originalName);
        if (known) return known;
        const index = layer.trainable && w.trainable ? trainable.indexOf(w) : -1;
        const gw: GWeight =
          index >= 0
            ? { name: weightInputs[index] as string, index, shape: w.shape as number[] }
            : { name: b.constF32(w.read().dataSync() as Float32Array, w.shape as number[], w.originalName), index: -1, shape: w.shape as number[] };
        declared.set(w.originalName, gw);
        return gw;
      },
      values(param) {
        const w = find(param);
        if (!w) throw new Unsupported(`layer ${name} has no weight '${param}'`);
        return w.read().dataSync() as Float32Array;
      },
      dropoutMask(shape, rate) {
        const mask = b.reserve(`m${masks.length}`);
        masks.push({ name: mask, shape, rate });
        graphInputs.push(valueInfo(mask, ['N', ...shape]));
        return mask;
      },
    };
    const bn = folds.get(name);
    if (bn) ctx.fold = makeCtx(bn);
    if (moved.has(name)) ctx.relu = 'skip';
    if (pools.has(name)) ctx.relu = 'apply';
    return ctx;
  };
  const folded = new Map([...folds].map(([conv, bn]) => [bn, conv]));

  for (const g of graph) {
    if (g.className === 'InputLayer') continue;
    const into = folded.get(g.name);
    if (into) {
      // Computed by the convolution it is folded into.
      tensors.set(`${g.name}:0`, tensors.get(`${into}:0`) as GTensor);
      continue;
    }
    const rule = RULES[g.className];
    if (!rule) throw new Unsupported(`layer ${g.name} (${g.className}) has no gradient rule in the onnxruntime step engine`);
    t.scope = g.name;
    const ctx = makeCtx(g.name);
    const xs = g.inbound.map((i) => {
      const x = tensors.get(`${i.layer}:${i.tensor}`);
      if (!x) throw new Unsupported(`layer ${g.name} reads a tensor the engine did not compute (${i.layer}:${i.tensor})`);
      return LAYOUT_AWARE.has(g.className) ? x : toNhwc(t, x);
    });
    tensors.set(`${g.name}:0`, rule(t, ctx, xs));
  }
  const outLayer = model.outputs[0]?.sourceLayer.name ?? '';
  const probs = tensors.get(`${outLayer}:0`);
  if (!probs || probs.shape.length !== 1 || probs.shape[0] !== o.classes) throw new Unsupported(`the model output is not [N, ${o.classes}] probabilities`);
  const outputs: ValueInfoMsg[] = [];
  const grads: string[] = [];
  if (!o.training) {
    b.op('Identity', [probs.name], {}, 'probs', b.reserve('probs'));
    outputs.push(valueInfo('probs', ['N', o.classes]));
  } else {
    lossAndGradients(t, probs, { ...o, weightInputs, graphInputs, outputs, grads, trainable: trainable.map((w) => ({ names: [w.originalName, w.name], shape: w.shape as number[] })) });
  }
  const bytes = encodeModel({
    irVersion: 8,
    producerName: 'headstart-ortgrad',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: OPSET }, ...(b.usesMsDomain() ? [{ domain: MS_DOMAIN, version: 1 }] : [])],
    metadataProps: [],
    graph: { name: 'step', node: b.allNodes(), initializer: b.initializers, input: graphInputs, output: outputs },
  });
  return { bytes, inputs: inputNames, weights: weightInputs, masks, grads };
}

/** Who reads each layer's output. */
function readersOf(graph: ReturnType<typeof modelGraph>): Map<string, string[]> {
  const readers = new Map<string, string[]>();
  for (const g of graph) for (const i of g.inbound) readers.set(i.layer, [...(readers.get(i.layer) ?? []), g.name]);
  return readers;
}

/**
 * k×k convolutions whose ReLU runs after the max pooling that is their only reader (by
 * convolution name → pooling name): the activation then touches a quarter of the values.
 */
function reluPlan(model: LayersModel, graph: ReturnType<typeof modelGraph>): Map<string, string> {
  const readers = readersOf(graph);
  const plan = new Map<string, string>();
  for (const g of graph) {
    if (g.className !== RELU_MOVES) continue;
    const cfg = model.getLayer(g.name).getConfig();
    const r = readers.get(g.name) ?? [];
    if (String(cfg['activation']) !== 'relu' || String(cfg['kernelSize']) === '1,1' || r.length !== 1) continue;
    if (model.getLayer(r[0] as string).getClassName() === 'MaxPooling2D') plan.set(g.name, r[0] as string);
  }
  return plan;
}

/**
 * BatchNormalizations folded into the convolution before them (by convolution name): the
 * convolution is linear and bias-free, 1×1 stride 1 or depthwise, and the BatchNorm is its only reader.
 */
function foldPlan(model: LayersModel, graph: ReturnType<typeof modelGraph>): Map<string, string> {
  const readers = readersOf(graph);
  const out = model.outputs[0]?.sourceLayer.name;
  const plan = new Map<string, string>();
  for (const g of graph) {
    if (!FOLDS_BN.has(g.className) || g.name === out) continue;
    const cfg = model.getLayer(g.name).getConfig();
    const r = readers.get(g.name) ?? [];
    if (r.length !== 1 || String(cfg['activation'] ?? 'linear') !== 'linear' || cfg['useBias'] !== false) continue;
    if (g.className === 'Conv2D' && (String(cfg['kernelSize']) !== '1,1' || String(cfg['strides'] ?? '1,1') !== '1,1')) continue;
    const bn = model.getLayer(r[0] as string);
    if (bn.getClassName() === 'BatchNormalization') plan.set(g.name, bn.name);
  }
  return plan;
}

/**
 * Class-weighted mean cross-entropy on clipped probabilities plus L2 terms (exactly `shareLoss`),
 * its gradient seeded into the tape, and the outputs loss / pred / g<i>.
 * Inputs: 'y' one-hot [N, K] and 'sw' [N] = classWeight[y] / batch size.
 */
function lossAndGradients(
  t: Tape,
  probs: GTensor,
  o: StepGraphOptions & { weightInputs: string[]; graphInputs: ValueInfoMsg[]; outputs: ValueInfoMsg[]; grads: string[]; trainable: { names: string[]; shape: number[] }[] },
): void {
  const b = t.b;
  const y = b.reserve('y');
  const sw = b.reserve('sw');
  o.graphInputs.push(valueInfo(y, ['N', o.classes]), valueInfo(sw, ['N']));
  t.scope = 'loss';
  const lo = 1e-7;
  const hi = 1 - 1e-7;
  const pc = t.op('Clip', [probs.name, t.f32(lo), t.f32(hi)]);
  const sw2 = t.op('Unsqueeze', [sw, t.i64([1])]);
  const nll = t.op('Neg', [t.op('Mul', [t.op('Mul', [y, t.op('Log', [pc])]), sw2])]);
  let loss = t.op('ReduceSum', [nll], { keepdims: 0 });
  // d/dp of −w·log(clip(p)): −w/p where p is inside the clip range, else 0 (TF.js's clipByValue gradient).
  const inside = t.op('Cast', [t.op('And', [t.op('GreaterOrEqual', [probs.name, t.f32(lo)]), t.op('LessOrEqual', [probs.name, t.f32(hi)])])], { to: 1 });
  const dp = t.op('Mul', [t.op('Neg', [t.op('Div', [t.op('Mul', [y, sw2]), pc])]), inside]);
  t.backward(probs, dp);
  t.scope = 'loss';
  for (const p of o.l2 ?? []) {
    const index = o.trainable.findIndex((w) => w.names.includes(p.weight));
    if (index < 0) continue;
    const w = o.weightInputs[index] as string;
    loss = t.op('Add', [loss, t.op('Mul', [t.op('ReduceSum', [t.op('Mul', [w, w])], { keepdims: 0 }), t.f32(p.l2)])]);
    t.weightGrad({ name: w, index, shape: [] }, t.op('Mul', [w, t.f32(2 * p.l2)]));
  }
  b.op('Reshape', [loss, t.i64([1])], {}, 'loss', b.reserve('loss'));
  o.outputs.push(valueInfo('loss', [1]));
  b.op('Cast', [t.op('ArgMax', [probs.name], { axis: 1, keepdims: 0 })], { to: 1 }, 'pred', b.reserve('pred'));
  o.outputs.push(valueInfo('pred', ['N']));
  o.trainable.forEach((w, i) => {
    const parts = t.weightGrads.get(i);
    const name = b.reserve(`g${i}`);
    const g = parts ? t.sum(parts, name) : b.constF32(new Float32Array(w.shape.reduce((a, d) => a * d, 1)), w.shape, 'zero_grad');
    b.op('Identity', [g], {}, name, name);
    o.outputs.push(valueInfo(name, w.shape));
    o.grads.push(name);
  });
}
