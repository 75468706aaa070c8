/**
 * The one reader of a Keras / TF.js layers topology (the `modelTopology` of model.json):
 * the functional layer list, inbound references in both the legacy and the Keras 3 form,
 * and the whole graph flattened into single-layer nodes (nested models expanded).
 */
import { HeadstartError } from '../errors.ts';

/** A Keras functional layer as it appears in model.json. */
export interface KerasLayerJson {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: unknown[];
}

/** The config of a functional model: its layers and the references to its inputs and outputs. */
export interface FunctionalConfig {
  name?: string;
  layers: KerasLayerJson[];
  input_layers: unknown[];
  output_layers: unknown[];
}

/** The functional-model config inside a topology (Keras 2 `model_config` or tfjs `save` output). */
export function functionalConfig(topology: Record<string, unknown>): FunctionalConfig {
  const mc = (topology['model_config'] ?? topology) as { class_name?: string; config?: FunctionalConfig };
  const cfg = mc.config;
  if (!cfg || !Array.isArray(cfg.layers)) {
    throw new HeadstartError('MODEL_INVALID', 'The model topology has no functional layer list (only Keras functional / tfjs-layers models are supported as bases)');
  }
  if (mc.class_name === 'Sequential') {
    throw new HeadstartError('MODEL_INVALID', 'Sequential topologies are not supported as bases; save the model as a functional model');
  }
  return cfg;
}

/** Names of the layers a layer's inbound nodes reference (legacy and Keras 3 forms). */
export function inboundNames(layer: KerasLayerJson): string[] {
  return (layer.inbound_nodes ?? []).flatMap((n) => parseInbound(n).map((r) => r[0]));
}

/** One application of a Keras layer (a shared layer applied twice gives two nodes). */
export interface KerasNode {
  /** Unique id within the flattened graph (nested model layers are prefixed `outer/`). */
  id: string;
  /** The layer's own name, used to find its weights. */
  layerName: string;
  className: string;
  config: Record<string, unknown>;
  /** Tensor keys consumed, in order. */
  inputs: string[];
  /** Tensor keys produced, in order. */
  outputs: string[];
}

/** A Keras model flattened into single-layer nodes, with tensor keys as edges. */
export interface KerasGraph {
  nodes: KerasNode[];
  input: { key: string; shape: (number | null)[]; layer: string };
  output: string;
  /** Tensor key of each layer's (first) output, by layer id, for cuts. */
  layerOutputs: Map<string, string>;
}

type Json = Record<string, unknown>;
const NESTED = new Set(['Model', 'Functional', 'Sequential']);

/** Flattens a Keras/TF.js layers topology (functional, Sequential, nested models) into nodes. */
export function parseTopology(modelTopology: Json, origin: string): KerasGraph {
  const root = (modelTopology['model_config'] ?? modelTopology) as Json;
  const nodes: KerasNode[] = [];
  const layerOutputs = new Map<string, string>();
  const inputs: { key: string; shape: (number | null)[]; layer: string }[] = [];
  const outs = expandModel(root, '', null, { nodes, layerOutputs, inputs, origin });
  if (inputs.length !== 1 || outs.length !== 1) {
    throw new HeadstartError('UNSUPPORTED_LAYER', `${origin}: models with ${inputs.length} inputs and ${outs.length} outputs are not supported (need exactly one of each)`);
  }
  return { nodes, input: inputs[0]!, output: outs[0]!, layerOutputs };
}

interface Ctx {
  nodes: KerasNode[];
  layerOutputs: Map<string, string>;
  inputs: { key: string; shape: (number | null)[]; layer: string }[];
  origin: string;
}

/** Expands one (possibly nested) model; `bound` maps its inputs to outer tensors (null at top level). */
function expandModel(model: Json, prefix: string, bound: string[] | null, ctx: Ctx): string[] {
  const cls = String(model['class_name'] ?? '');
  const config = model['config'];
  if (cls === 'Sequential' || Array.isArray(config)) return expandSequential(model, prefix, bound, ctx);
  if (typeof config !== 'object' || config === null) throw new HeadstartError('MODEL_INVALID', `${ctx.origin}: topology has no model config`);
  const cfg = config as Json;
  const layers = (cfg['layers'] ?? []) as Json[];
  const key = (layer: string, node: number, tensor: number): string => `${prefix}${layer}:${node}:${tensor}`;
  const inputLayers = (cfg['input_layers'] ?? []) as unknown[];
  const outputLayers = (cfg['output_layers'] ?? []) as unknown[];
  const inputRefs = normaliseRefs(inputLayers);
  const outputRefs = normaliseRefs(outputLayers);
  const byName = new Map(layers.map((l) => [String(l['name'] ?? (l['config'] as Json)['name']), l]));
  // Pending layer applications, resolved in dependency order.
  const pending: { layer: Json; name: string; nodeIndex: number; inRefs: [string, number, number][] }[] = [];
  for (const [name, layer] of byName) {
    const cl = String(layer['class_name']);
    if (cl === 'InputLayer') {
      const idx = inputRefs.findIndex((r) => r[0] === name);
      const k = key(name, 0, 0);
      if (bound) {
        ctx.nodes.push(identityNode(k, bound[idx === -1 ? 0 : idx]!, prefix + name));
      } else {
        const lc = layer['config'] as Json;
        const shape = (lc['batch_input_shape'] ?? lc['batch_shape']) as (number | null)[] | undefined;
        if (!shape) throw new HeadstartError('MODEL_INVALID', `${ctx.origin}: input layer ${name} has no batch_input_shape`);
        ctx.inputs.push({ key: k, shape, layer: name });
      }
      ctx.layerOutputs.set(prefix + name, k);
      continue;
    }
    const inbound = (layer['inbound_nodes'] ?? []) as unknown[];
    inbound.forEach((n, nodeIndex) => pending.push({ layer, name, nodeIndex, inRefs: parseInbound(n) }));
  }
  const known = new Set(ctx.nodes.map((n) => n.outputs).flat());
  for (const n of ctx.inputs) known.add(n.key);
  let progress = true;
  while (pending.length > 0 && progress) {
    progress = false;
    for (let i = 0; i < pending.length; i++) {
      const p = pending[i]!;
      const ins = p.inRefs.map(([l, n, t]) => key(l, n, t));
      if (!ins.every((k) => known.has(k))) continue;
      pending.splice(i--, 1);
      progress = true;
      const cl = String(p.layer['class_name']);
      let outKeys: string[];
      if (NESTED.has(cl)) {
        const inner = expandModel(p.layer, `${prefix}${p.name}/`, ins, ctx);
        const inboundCount = ((p.layer['inbound_nodes'] ?? []) as unknown[]).length;
        outKeys = inner.map((k, t) => {
          const outer = key(p.name, p.nodeIndex, t);
          ctx.nodes.push(identityNode(outer, k, `${prefix}${p.name}`));
          // TF.js numbers a nested model's applications from 1 (its node 0 is its own construction).
          if (p.nodeIndex + 1 >= inboundCount) {
            ctx.nodes.push(identityNode(key(p.name, p.nodeIndex + 1, t), k, `${prefix}${p.name}`));
            known.add(key(p.name, p.nodeIndex + 1, t));
          }
          return outer;
        });
      } else {
        outKeys = [key(p.name, p.nodeIndex, 0)];
        ctx.nodes.push({
          id: p.nodeIndex === 0 ? `${prefix}${p.name}` : `${prefix}${p.name}#${p.nodeIndex}`,
          layerName: p.name,
          className: cl,
          config: (p.layer['config'] ?? {}) as Json,
          inputs: ins,
          outputs: outKeys,
        });
      }
      outKeys.forEach((k) => known.add(k));
      if (p.nodeIndex === 0) ctx.layerOutputs.set(prefix + p.name, outKeys[0]!);
    }
  }
  if (pending.length > 0) {
    const p = pending[0]!;
    throw new HeadstartError('MODEL_INVALID', `${ctx.origin}: layer ${p.name} consumes tensors no layer produces (${p.inRefs.map((r) => r[0]).join(', ')})`);
  }
  return outputRefs.map(([l, n, t]) => key(l, n, t));
}

function expandSequential(model: Json, prefix: string, bound: string[] | null, ctx: Ctx): string[] {
  const config = model['config'];
  const layers = (Array.isArray(config) ? config : ((config as Json)['layers'] as Json[])) as Json[];
  const seqName = Array.isArray(config) ? 'sequential' : String((config as Json)['name'] ?? 'sequential');
  let current: string | undefined = bound?.[0];
  layers.forEach((layer, i) => {
    const lc = (layer['config'] ?? {}) as Json;
    const name = String(lc['name'] ?? layer['name'] ?? `layer_${i}`);
    const cl = String(layer['class_name']);
    const shape = (lc['batch_input_shape'] ?? lc['batch_shape']) as (number | null)[] | undefined;
    if (current === undefined) {
      if (!shape) throw new HeadstartError('MODEL_INVALID', `${ctx.origin}: Sequential model ${seqName} declares no input shape`);
      const inputName = cl === 'InputLayer' ? name : `${seqName}_input`;
      current = `${prefix}${inputName}:0:0`;
      ctx.inputs.push({ key: current, shape, layer: inputName });
      ctx.layerOutputs.set(prefix + inputName, current);
    }
    if (cl === 'InputLayer') return;
    if (NESTED.has(cl)) {
      const inner = expandModel(layer, `${prefix}${name}/`, [current], ctx);
      current = inner[0]!;
    } else {
      const out = `${prefix}${name}:0:0`;
      ctx.nodes.push({ id: prefix + name, layerName: name, className: cl, config: lc, inputs: [current], outputs: [out] });
      current = out;
    }
    ctx.layerOutputs.set(prefix + name, current);
  });
  if (current === undefined) throw new HeadstartError('MODEL_INVALID', `${ctx.origin}: Sequential model ${seqName} has no layers`);
  return [current];
}

function identityNode(out: string, input: string, id: string): KerasNode {
  return { id: `${id}:alias:${out}`, layerName: id, className: '__Identity', config: {}, inputs: [input], outputs: [out] };
}

function normaliseRefs(refs: unknown[]): [string, number, number][] {
  // [[name, node, tensor], ...] or a single [name, node, tensor]
  if (refs.length === 3 && typeof refs[0] === 'string') return [refs as [string, number, number]];
  return refs.map((r) => r as [string, number, number]);
}

/** One inbound node as [layer, node, tensor] refs: legacy `[[name, node, tensor, kwargs], ...]` or Keras 3 `{args: [...]}`. */
export function parseInbound(node: unknown): [string, number, number][] {
  if (Array.isArray(node)) return node.map((r) => [String(r[0]), Number(r[1]), Number(r[2])]);
  const found: [string, number, number][] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (typeof v === 'object' && v !== null) {
      const o = v as Json;
      const hist = (o['config'] as Json | undefined)?.['keras_history'];
      if (o['class_name'] === '__keras_tensor__' && Array.isArray(hist)) found.push([String(hist[0]), Number(hist[1]), Number(hist[2])]);
      else Object.values(o).forEach(visit);
    }
  };
  visit((node as Json)['args']);
  return found;
}
