/**
 * One ONNX graph from a frozen ONNX base and a trained head: RGB pixels 0..255 (NHWC) →
 * preprocessing → (to NCHW) → the base's own nodes and initializers, unchanged, up to the cut →
 * (to NHWC) → the head converted from TF.js → probabilities.
 */
import { HeadstartError, type PreprocessSpec } from '@headstart/core';
import { emitPreprocess, valueInfo, type ConvertedModel } from '../convert.ts';
import { GraphBuilder } from '../onnx/graph-builder.ts';
import { protoFromObject, type NodeMsg, type ProtoMessage, type TensorMsg } from '../onnx/proto.ts';
import type { OnnxBase } from './open-base.ts';
import { intOf } from './proto-types.ts';

/** Ops a converted head may use when the base's opset is 11 or 12 (same semantics there as at opset 13 for these inputs). */
const HEAD_OPS_SINCE_11 = new Set(['Transpose', 'GlobalAveragePool', 'GlobalMaxPool', 'Flatten', 'Gemm', 'MatMul', 'Add', 'Sub', 'Mul', 'Relu', 'Sigmoid', 'Tanh', 'Elu', 'Selu', 'LeakyRelu', 'Softmax', 'Identity', 'Reshape', 'Clip']);

/** The head opset for a base opset (the exporter writes 13..21); throws when the two cannot share one graph. */
export function headOpsetFor(baseOpset: number): number {
  if (baseOpset < 11) {
    throw new HeadstartError('UNSUPPORTED_LAYER', `The ONNX base uses opset ${baseOpset}; composing it with a head needs opset 11 or newer: re-export it (e.g. torch.onnx.export(..., opset_version=17)) or convert it with onnx.version_converter`, {
      details: { opset: baseOpset },
    });
  }
  return Math.min(21, Math.max(13, baseOpset));
}

/** What {@link composeOnnxBase} built. */
export interface ComposedModel {
  model: ProtoMessage;
  inputName: string;
  outputName: string;
  inputShape: number[];
  outputShape: number[];
  opset: number;
}

function tensorNames(base: OnnxBase): Set<string> {
  const g = base.model.graph;
  return new Set([base.inputName, ...g.initializer.map((t) => t.name), ...g.node.flatMap((n) => [...n.input, ...n.output])]);
}

/**
 * Composes the truncated `base` with `head` (converted with {@link headOpsetFor}'s opset, input =
 * the base's features) and the preprocessing; `metadata` replaces the base's entries of the same key.
 */
export function composeOnnxBase(base: OnnxBase, head: ConvertedModel, preprocess: PreprocessSpec, metadata: { key: string; value: string }[]): ComposedModel {
  const baseNames = tensorNames(base);
  for (const reserved of ['pixels', 'probabilities']) {
    if (baseNames.has(reserved) && reserved !== base.inputName) {
      throw new HeadstartError('MODEL_INVALID', `The ONNX base has an inner tensor named "${reserved}", the name of the composed model's ${reserved === 'pixels' ? 'input' : 'output'}; cut earlier or rename it`);
    }
  }
  if (base.opset < 13) {
    const extra = [...new Set(head.model.graph.node.map((n) => n.opType))].filter((op) => !HEAD_OPS_SINCE_11.has(op));
    if (extra.length > 0) throw new HeadstartError('UNSUPPORTED_LAYER', `The head uses ${extra.join(', ')}, which changed meaning after the base's opset ${base.opset}; re-export the base at opset 13 or newer`);
  }
  const g = base.model.graph;
  // The base's image input becomes an inner tensor fed by the preprocessing.
  const baseInput = base.inputName === 'pixels' ? 'headstart/base_input' : base.inputName;
  if (baseInput !== base.inputName) for (const n of g.node) n.input = n.input.map((i) => (i === base.inputName ? baseInput : i));
  const b = new GraphBuilder({ fp16: false });
  b.claim(baseNames);
  b.claim([baseInput]);
  const inputName = b.reserve('pixels');
  const outputName = b.reserve(head.outputName);
  const x = emitPreprocess(b, inputName, preprocess);
  if (base.layout === 'nchw') b.op('Transpose', [x], { perm: [0, 3, 1, 2] }, 'to_nchw', baseInput);
  else b.op('Identity', [x], {}, 'base_input', baseInput);
  const before = b.nodes.length;
  let features = base.cut;
  if (base.layout === 'nchw' && head.inputShape.length === 4) features = b.op('Transpose', [base.cut], { perm: [0, 2, 3, 1] }, 'features_nhwc');
  const rename = new Map<string, string>([[head.inputName, features], [head.outputName, outputName]]);
  const named = (t: string): string => {
    if (t === '') return t;
    let r = rename.get(t);
    if (r === undefined) {
      r = b.unique(`head/${t}`);
      rename.set(t, r);
    }
    return r;
  };
  const headInits: TensorMsg[] = head.model.graph.initializer.map((t) => ({ ...t, name: named(t.name) }));
  const headNodes: NodeMsg[] = head.model.graph.node.map((n) => ({ ...n, name: b.unique(`head/${n.name}`), input: n.input.map(named), output: n.output.map(named) }));
  const pre = b.nodes.slice(0, before);
  const post = b.nodes.slice(before);
  const node = (n: NodeMsg): ProtoMessage => protoFromObject('NodeProto', n);
  g.node = [...pre.map(node), ...(g.node as unknown as ProtoMessage[]), ...post.map(node), ...headNodes.map(node)] as unknown as typeof g.node;
  g.initializer = [...b.initializers.map((t) => protoFromObject('TensorProto', t)), ...(g.initializer as unknown as ProtoMessage[]), ...headInits.map((t) => protoFromObject('TensorProto', t))] as unknown as typeof g.initializer;
  const [h, w] = base.inputSize;
  const inputShape = [-1, h, w, 3];
  const outputShape = head.outputShape;
  g.input = [protoFromObject('ValueInfoProto', valueInfo(inputName, inputShape))] as unknown as typeof g.input;
  g.output = [protoFromObject('ValueInfoProto', valueInfo(outputName, outputShape))] as unknown as typeof g.output;
  g.name = 'headstart';
  const m = base.model;
  if (!m.opsetImport.some((o) => o.domain === '' || o.domain === 'ai.onnx')) m.opsetImport = [...m.opsetImport, protoFromObject('OperatorSetIdProto', { domain: '', version: base.opset }) as unknown as { domain: string; version: number }];
  // IR 4+: initializers need not be graph inputs (the truncated base lists only the image).
  if (intOf(m.irVersion) < 4) m.irVersion = 4;
  const keys = new Set(metadata.map((e) => e.key));
  m.metadataProps = [...(m.metadataProps ?? []).filter((e) => !keys.has(e.key)), ...metadata.map((e) => protoFromObject('StringStringEntryProto', e) as unknown as { key: string; value: string })];
  m['producerName'] = 'headstart';
  m['trainingInfo'] = [];
  return { model: m, inputName, outputName, inputShape, outputShape, opset: base.opset };
}
