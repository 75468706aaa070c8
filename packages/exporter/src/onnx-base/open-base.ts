/**
 * A foreign ONNX classifier (model zoo, timm, torchvision, tf2onnx) opened as a frozen base:
 * its image input and layout, its input size, the cut tensor, and the graph truncated at the
 * cut (only the nodes and initializers the cut needs, weights untouched).
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HeadstartError, nearLayerNames } from '@headstart/core';
import { decodeModelMessage, encodeModelMessage, type ProtoMessage } from '../onnx/proto.ts';
import type { PGraph, PModel, PNode, PTensor, PValueInfo } from './proto-types.ts';
import { intOf } from './proto-types.ts';

/** Axis layout of a base's image input: channels at axis 1 (torchvision, timm) or 3 (TF exports). */
export type OnnxLayout = 'nchw' | 'nhwc';

/** An ONNX base truncated at its cut. */
export interface OnnxBase {
  /** The truncated model (its input's batch dimension dynamic, its size fixed), ready to write back. */
  model: PModel & ProtoMessage;
  /** Name of the image input in the original graph. */
  inputName: string;
  layout: OnnxLayout;
  inputSize: [number, number];
  /** The tensor the base ends at. */
  cut: string;
  /** The cut chosen when none is given, and why. */
  defaultCut: string;
  defaultCutReason: string;
  /** Version of the default ('' / ai.onnx) operator set. */
  opset: number;
  /** Nodes kept / in the original graph. */
  keptNodes: number;
  totalNodes: number;
}

/** Options of {@link openOnnxBase}. */
export interface OpenOnnxBaseOptions {
  /** Tensor to cut at (default: the input of the pooling before the last Gemm/MatMul, see {@link OnnxBase.defaultCutReason}). */
  cut?: string;
  /** [height, width]: required when the model's input size is dynamic; must match when it is fixed. */
  inputSize?: [number, number];
}

/** Ops between a feature map and the classifier that only pool or reshape it: the default cut sits before them. */
const POOL_OR_RESHAPE = new Set(['Flatten', 'Reshape', 'Squeeze', 'GlobalAveragePool', 'GlobalMaxPool', 'AveragePool', 'ReduceMean', 'Identity', 'Dropout']);

/** True when `path` names an ONNX file (by extension). */
export function isOnnxPath(path: string): boolean {
  return /\.onnx$/i.test(path);
}

function defaultDomainOpset(model: PModel): number {
  const entry = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  return entry ? intOf(entry.version) : 1;
}

/** Every tensor name a node reads, including outer-scope names read inside its subgraphs (If, Loop, Scan). */
function readsOf(node: PNode): string[] {
  const names = node.input.filter((n) => n !== '');
  for (const a of node.attribute ?? []) for (const g of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) for (const n of g.node) names.push(...readsOf(n));
  return names;
}

function imageInput(graph: PGraph, origin: string): PValueInfo {
  const inits = new Set(graph.initializer.map((t) => t.name));
  const inputs = graph.input.filter((i) => !inits.has(i.name));
  if (inputs.length !== 1) {
    throw new HeadstartError('MODEL_INVALID', `${origin} has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}): an ONNX base needs exactly one image input`);
  }
  return inputs[0] as PValueInfo;
}

function inputLayout(input: PValueInfo, origin: string): { layout: OnnxLayout; dims: (number | undefined)[] } {
  const dims = (input.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue !== null && intOf(d.dimValue) > 0 ? intOf(d.dimValue) : undefined));
  const shape = `[${dims.map((d) => d ?? '?').join(', ')}]`;
  if (dims.length !== 4) throw new HeadstartError('MODEL_INVALID', `${origin}: input "${input.name}" has shape ${shape}; an image base takes a 4-D NCHW or NHWC tensor`);
  if (dims[1] === 3) return { layout: 'nchw', dims };
  if (dims[3] === 3) return { layout: 'nhwc', dims };
  throw new HeadstartError('MODEL_INVALID', `${origin}: input "${input.name}" has shape ${shape}: expected 3 channels at axis 1 (NCHW: torchvision, timm) or axis 3 (NHWC: TF exports)`);
}

function resolveSize(dims: (number | undefined)[], layout: OnnxLayout, given: [number, number] | undefined, origin: string): [number, number] {
  const [h, w] = layout === 'nchw' ? [dims[2], dims[3]] : [dims[1], dims[2]];
  if (h !== undefined && w !== undefined) {
    if (given && (given[0] !== h || given[1] !== w)) {
      throw new HeadstartError('INPUT_SIZE_UNSUPPORTED', `${origin} takes ${h}x${w} images (fixed in its input shape); --input-size ${given[0]} does not fit it`, { details: { inputSize: given[0] } });
    }
    return [h, w];
  }
  if (!given) throw new HeadstartError('INPUT_SIZE_UNSUPPORTED', `${origin} has a dynamic input size: give one with --input-size (e.g. 224)`, { details: {} });
  return given;
}

/** The tensor before the pooling/reshaping that feeds the last Gemm/MatMul (the classifier), else the graph output. */
function findDefaultCut(graph: PGraph): { cut: string; reason: string } {
  const inits = new Set(graph.initializer.map((t) => t.name));
  const producer = new Map<string, PNode>();
  for (const n of graph.node) for (const o of n.output) producer.set(o, n);
  const classifier = [...graph.node].reverse().find((n) => (n.opType === 'Gemm' || n.opType === 'MatMul') && !n.domain && n.input.some((i) => inits.has(i)));
  const out = graph.output[0]?.name ?? '';
  if (!classifier) return { cut: out, reason: `the model output "${out}" (no Gemm/MatMul classifier found)` };
  let t = classifier.input.find((i) => !inits.has(i)) ?? '';
  const skipped: string[] = [];
  for (let p = producer.get(t); p && POOL_OR_RESHAPE.has(p.opType) && p.input[0]; p = producer.get(t)) {
    skipped.push(p.opType);
    t = p.input[0];
  }
  const via = skipped.length > 0 ? ` through ${skipped.reverse().join(' → ')}` : '';
  return { cut: t, reason: `the input of the classifier ${classifier.opType} "${classifier.name || classifier.output[0]}"${via}` };
}

function cutNotFound(cut: string, graph: PGraph, defaultCut: string, origin: string): HeadstartError {
  const names = graph.node.flatMap((n) => n.output).filter((n) => n !== '');
  const near = nearLayerNames(cut, names, 5);
  const last = names.slice(-8);
  return new HeadstartError(
    'LAYER_NOT_FOUND',
    `Tensor "${cut}" is not produced by any node of ${origin}. ${near.length > 0 ? `Nearest names: ${near.map((n) => `"${n}"`).join(', ')}. ` : ''}Default cut: "${defaultCut}". Last tensors of the graph: ${last.map((n) => `"${n}"`).join(', ')} (${names.length} in all; list them with e.g. Netron)`,
    { details: { cut, near, defaultCut } },
  );
}

/** Reads initializers stored in external files (`location`, `offset`, `length`) into raw_data. */
async function inlineExternal(tensors: PTensor[], dir: string, origin: string): Promise<void> {
  const files = new Map<string, Uint8Array>();
  for (const t of tensors) {
    if (intOf(t.dataLocation ?? 0) !== 1) continue;
    const info = Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value]));
    const location = info['location'];
    if (!location) throw new HeadstartError('MODEL_INVALID', `${origin}: initializer "${t.name}" is stored externally without a location`);
    let file = files.get(location);
    if (!file) {
      try {
        file = await readFile(join(dir, location));
      } catch (cause) {
        throw new HeadstartError('MODEL_INVALID', `${origin}: initializer "${t.name}" lives in ${join(dir, location)}, which cannot be read; keep the external data file beside the model`, { cause });
      }
      files.set(location, file);
    }
    const offset = Number(info['offset'] ?? 0);
    const length = info['length'] !== undefined ? Number(info['length']) : file.byteLength - offset;
    t.rawData = file.subarray(offset, offset + length);
    t.dataLocation = 0;
    t.externalData = [];
  }
}

/**
 * Opens `path` as a frozen base: finds its image input and layout, fixes its size, and truncates the
 * graph at the cut (nodes and initializers not needed for it are dropped; the rest is unchanged).
 * @example const base = await openOnnxBase('resnet18.onnx', { cut: '/layer4/layer4.1/relu_1/Relu_output_0' });
 */
export async function openOnnxBase(path: string, opts: OpenOnnxBaseOptions = {}): Promise<OnnxBase> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new HeadstartError('BASE_UNKNOWN', `ONNX base ${path} cannot be read: ${(cause as Error).message}`, { cause });
  }
  let model: PModel & ProtoMessage;
  try {
    model = decodeModelMessage(bytes) as PModel & ProtoMessage;
  } catch (cause) {
    throw new HeadstartError('MODEL_INVALID', `${path} is not an ONNX model: ${(cause as Error).message}`, { cause });
  }
  const graph = model.graph;
  if (!graph || graph.node.length === 0) throw new HeadstartError('MODEL_INVALID', `${path} holds no graph`);
  const input = imageInput(graph, path);
  const { layout, dims } = inputLayout(input, path);
  const inputSize = resolveSize(dims, layout, opts.inputSize, path);
  const { cut: defaultCut, reason } = findDefaultCut(graph);
  const cut = opts.cut ?? defaultCut;
  const producer = new Map<string, PNode>();
  for (const n of graph.node) for (const o of n.output) producer.set(o, n);
  if (!producer.has(cut)) throw cutNotFound(cut, graph, defaultCut, path);

  const need = new Set<PNode>();
  const stack = [cut];
  while (stack.length > 0) {
    const p = producer.get(stack.pop() as string);
    if (!p || need.has(p)) continue;
    need.add(p);
    stack.push(...readsOf(p));
  }
  const totalNodes = graph.node.length;
  graph.node = graph.node.filter((n) => need.has(n));
  const read = new Set(graph.node.flatMap(readsOf));
  graph.initializer = graph.initializer.filter((t) => read.has(t.name));
  graph.sparseInitializer = (graph.sparseInitializer ?? []).filter((t) => read.has(t.values?.name ?? ''));
  await inlineExternal(graph.initializer, dirname(path), path);
  // The image input alone, with a dynamic batch and the fixed size; intermediate shapes are left to onnxruntime.
  const [h, w] = inputSize;
  const shape = layout === 'nchw' ? [3, h, w] : [h, w, 3];
  input.type = { tensorType: { elemType: input.type?.tensorType?.elemType ?? 1, shape: { dim: [{ dimParam: 'N' }, ...shape.map((d) => ({ dimValue: d }))] } } };
  graph.input = [input];
  graph.output = [{ name: cut, type: { tensorType: { elemType: 1 } } }];
  graph.valueInfo = [];
  return { model, inputName: input.name, layout, inputSize, cut, defaultCut, defaultCutReason: reason, opset: defaultDomainOpset(model), keptNodes: graph.node.length, totalNodes };
}

/** The truncated base as ONNX bytes (input: the original image input, output: the cut tensor). */
export function onnxBaseBytes(base: OnnxBase): Uint8Array {
  return encodeModelMessage(base.model);
}
