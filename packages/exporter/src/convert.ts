import { HeadstartError, ONNX_METADATA_KEYS, parseTopology, preprocessAffine, type KerasNode, type PreprocessSpec } from '@headstart/core';
import type { Weight } from '@headstart/core';
import type { LayersArtifact } from './artifact.ts';
import { activationName } from './layers/activation.ts';
import type { EmitContext, FoldedBn, Tensor } from './layers/context.ts';
import { FOLDABLE } from './layers/conv.ts';
import { bnAffine, bnOnLastAxis } from './layers/core.ts';
import { CAM_OUTPUT, linearHead } from './cam.ts';
import { EMITTERS, SUPPORTED_LAYERS } from './layers/registry.ts';
import { GraphBuilder } from './onnx/graph-builder.ts';
import { DataType, type ModelMsg, type ValueInfoMsg } from './onnx/proto.ts';

/** Options of {@link convertArtifact}. */
export interface ConvertOptions {
  /** ONNX opset, 13..21 (default 17). */
  opset?: number;
  /** Store large weights as float16 (with Cast nodes). */
  fp16?: boolean;
  /** Preprocessing done inside the graph on RGB 0..255 input; none when absent. */
  preprocess?: PreprocessSpec;
  /** Fixes the model's input [height, width] (for models with a dynamic or resizable input). */
  inputSize?: [number, number];
  /** Export the base up to this layer (no head), output `features`. */
  featureExtractor?: { cut: string; pooling?: 'avg' | 'max' | 'none' };
  /** metadata_props to embed. */
  metadata?: Record<string, string>;
  /** Add the Grad-CAM output `cam` when the head allows it exactly (see cam.ts); default true. */
  cam?: boolean;
}

/** A converted model before serialisation. */
export interface ConvertedModel {
  model: ModelMsg;
  inputName: string;
  outputName: string;
  /** [N, H, W, C] with N = -1 (dynamic). */
  inputShape: number[];
  outputShape: number[];
  opset: number;
  foldedBatchNorms: number;
  /** The `cam` output's shape [N, h, w, classes], or why the model has none. */
  cam: { shape: number[] } | { absent: string };
}

/** IR version matching an opset (onnx release that introduced it). */
export function irVersionFor(opset: number): number {
  return opset <= 18 ? 8 : opset <= 20 ? 9 : 10;
}

/** Converts a decoded TF.js layers artifact to an ONNX ModelProto. */
export function convertArtifact(artifact: LayersArtifact, opts: ConvertOptions = {}): ConvertedModel {
  const opset = opts.opset ?? 17;
  if (!Number.isInteger(opset) || opset < 13 || opset > 21) throw new HeadstartError('USAGE', `opset ${opset} is not supported: use 13..21 (default 17)`);
  const graph = parseTopology(artifact.modelTopology, artifact.origin);
  let outKey = graph.output;
  if (opts.featureExtractor) {
    const k = graph.layerOutputs.get(opts.featureExtractor.cut);
    if (!k) throw new HeadstartError('LAYER_NOT_FOUND', `cut layer '${opts.featureExtractor.cut}' is not in ${artifact.origin}`);
    outKey = k;
  }
  const producer = new Map<string, KerasNode>();
  for (const n of graph.nodes) for (const o of n.outputs) producer.set(o, n);
  const needed = neededNodes(graph.nodes, producer, outKey);
  const consumers = new Map<string, number>();
  for (const n of needed) for (const i of n.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);

  const b = new GraphBuilder({ fp16: opts.fp16 === true });
  const weights = weightIndex(artifact.weights);
  const makeCtx = (node: KerasNode, inputs: Tensor[], fold?: FoldedBn, folded = false): EmitContext => ({
    b,
    node,
    inputs,
    fold,
    folded,
    weight: (param) => {
      const w = weights(node.layerName, param);
      if (!w) throw new HeadstartError('MODEL_INVALID', `${artifact.origin}: weight '${node.layerName}/${param}' of layer ${node.layerName} (${node.className}) is missing from the weights manifest`);
      return w;
    },
    hasWeight: (param) => weights(node.layerName, param) !== undefined,
  });

  // BatchNormalization folding plan: BN whose input comes only from a linear conv/dense.
  const folds = new Map<string, FoldedBn>();
  const foldedBn = new Set<string>();
  for (const n of needed) {
    if (n.className !== 'BatchNormalization') continue;
    const t = n.inputs[0]!;
    const p = producer.get(t);
    if (!p || !FOLDABLE.has(p.className) || activationName(p.config['activation']) !== 'linear') continue;
    if ((consumers.get(t) ?? 0) !== 1 || t === outKey || folds.has(p.id)) continue;
    if (!bnOnLastAxis(n.config, p.className === 'Dense' ? 2 : 4)) continue;
    folds.set(p.id, bnAffine(makeCtx(n, [])));
    foldedBn.add(n.id);
  }

  // Graph input and in-graph preprocessing.
  const inShape = [...graph.input.shape];
  if (opts.inputSize && inShape.length === 4) [inShape[1], inShape[2]] = opts.inputSize;
  if (opts.preprocess && inShape.length === 4) {
    const [ph, pw] = opts.preprocess.size;
    if (inShape[1] == null) inShape[1] = ph;
    if (inShape[2] == null) inShape[2] = pw;
    if (inShape[1] !== ph || inShape[2] !== pw) {
      throw new HeadstartError('SPEC_MISMATCH', `preprocess size ${ph}x${pw} does not match the model input ${String(inShape[1])}x${String(inShape[2])} (${artifact.origin})`);
    }
    if (inShape[3] !== 3) throw new HeadstartError('SPEC_MISMATCH', `preprocessing needs a 3-channel RGB input, the model takes ${String(inShape[3])} channels`);
  }
  const inputName = b.reserve('pixels');
  const outputName = b.reserve(opts.featureExtractor ? 'features' : 'probabilities');
  const camName = opts.cam !== false && !opts.featureExtractor ? b.reserve(CAM_OUTPUT) : undefined;
  let x = inputName;
  if (opts.preprocess && inShape.length === 4) x = emitPreprocess(b, x, opts.preprocess);
  if (inShape.length === 4) x = b.op('Transpose', [x], { perm: [0, 3, 1, 2] }, 'to_nchw');
  const tensors = new Map<string, Tensor>([[graph.input.key, { name: x, shape: inShape }]]);

  for (const node of needed) {
    const emit = EMITTERS[node.className];
    if (!emit) {
      throw new HeadstartError(
        'UNSUPPORTED_LAYER',
        `layer ${node.layerName} (${node.className}) is not supported by the ONNX exporter; supported classes: ${SUPPORTED_LAYERS.join(', ')}`,
        { details: { layer: node.layerName, className: node.className } },
      );
    }
    const inputs = node.inputs.map((k) => tensors.get(k)!);
    const outs = emit(makeCtx(node, inputs, folds.get(node.id), foldedBn.has(node.id)));
    node.outputs.forEach((k, i) => tensors.set(k, outs[i]!));
  }

  let out = tensors.get(outKey)!;
  const pooling = opts.featureExtractor?.pooling ?? 'none';
  if (pooling !== 'none' && out.shape.length === 4) {
    const g = b.op(pooling === 'avg' ? 'GlobalAveragePool' : 'GlobalMaxPool', [out.name], {}, 'features_pool');
    out = { name: b.op('Flatten', [g], { axis: 1 }, 'features_pool'), shape: [null, out.shape[3] ?? null] };
  }
  let last = out.name;
  if (out.shape.length === 4) last = b.op('Transpose', [last], { perm: [0, 2, 3, 1] }, 'to_nhwc');
  b.op('Identity', [last], {}, 'output', outputName);

  const dims = (shape: (number | null)[]): number[] => shape.map((d, i) => (i === 0 || d == null ? -1 : d));
  const inputShape = dims(inShape);
  const outputShape = dims(out.shape);
  let cam: ConvertedModel['cam'] = { absent: opts.featureExtractor ? 'a feature extractor has no head' : 'not requested' };
  const outputs = [valueInfo(outputName, outputShape)];
  if (camName !== undefined) {
    const head = linearHead(outKey, producer, (k) => tensors.get(k)?.shape, (n, param) => weights(n.layerName, param), (bn) => {
      const { scale } = bnAffine(makeCtx(bn, []));
      return scale;
    });
    if ('reason' in head) cam = { absent: head.reason };
    else if (head.bn && foldedBn.has(head.bn.id)) cam = { absent: `${head.bn.layerName} is folded into the layer before it, so the feature map itself is not in the graph` };
    else {
      // The feature map is NCHW inside the graph: back to NHWC, then one MatMul with α [C, classes].
      const a = b.op('Transpose', [tensors.get(head.feature)!.name], { perm: [0, 2, 3, 1] }, 'grad_cam');
      const alpha = b.weight(head.alpha, [head.channels, head.classes], 'grad_cam/alpha');
      b.op('MatMul', [a, alpha], {}, 'grad_cam', camName);
      const [, h, w] = tensors.get(head.feature)!.shape;
      const shape = dims([null, h ?? null, w ?? null, head.classes]);
      outputs.push(valueInfo(camName, shape));
      cam = { shape };
    }
  }
  const model: ModelMsg = {
    irVersion: irVersionFor(opset),
    producerName: 'headstart',
    producerVersion: opts.metadata?.[ONNX_METADATA_KEYS.version] ?? '0',
    opsetImport: [{ domain: '', version: opset }],
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: 'headstart',
      node: b.allNodes(),
      initializer: b.initializers,
      input: [valueInfo(inputName, inputShape)],
      output: outputs,
    },
  };
  return { model, inputName, outputName, inputShape, outputShape, opset, foldedBatchNorms: foldedBn.size, cam };
}

/** Emits core's preprocessing affine map (what applyPreprocess computes) on NHWC RGB pixels `x`; returns the normalised tensor. */
export function emitPreprocess(b: GraphBuilder, x: string, spec: PreprocessSpec): string {
  const a = preprocessAffine(spec);
  let y = x;
  if (a.source[0] !== 0) y = b.op('Gather', [y, b.constI64(a.source, 'preprocess/bgr')], { axis: 3 }, 'preprocess');
  y = b.op('Mul', [y, b.constF32(a.multiply, [3], 'preprocess/scale')], {}, 'preprocess');
  return b.op('Add', [y, b.constF32(a.add, [3], 'preprocess/shift')], {}, 'preprocess');
}

/** A float32 graph input/output entry with dims (-1: dynamic, named N for the batch). */
export function valueInfo(name: string, shape: number[]): ValueInfoMsg {
  return {
    name,
    type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: shape.map((d, i) => (d < 0 ? { dimParam: i === 0 ? 'N' : `d${i}` } : { dimValue: d })) } } },
  };
}

function neededNodes(nodes: KerasNode[], producer: Map<string, KerasNode>, outKey: string): KerasNode[] {
  const need = new Set<KerasNode>();
  const stack = [outKey];
  while (stack.length > 0) {
    const p = producer.get(stack.pop()!);
    if (!p || need.has(p)) continue;
    need.add(p);
    stack.push(...p.inputs);
  }
  return nodes.filter((n) => need.has(n));
}

/** Finds `layer/param` weights, tolerating outer name scopes (`outer/layer/param`) and `:0` suffixes. */
function weightIndex(all: Map<string, Weight>): (layer: string, param: string) => Weight | undefined {
  const index = new Map<string, Weight>();
  for (const [name, w] of all) {
    const parts = name.replace(/:\d+$/, '').split('/');
    if (parts.length < 2) continue;
    const key = `${parts[parts.length - 2]}/${parts[parts.length - 1]}`;
    if (!index.has(key)) index.set(key, w);
  }
  return (layer, param) => all.get(`${layer}/${param}`) ?? index.get(`${layer}/${param}`);
}
