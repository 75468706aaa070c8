/**
 * Splits a functional model at a freeze boundary: a deterministic prefix (run once, its
 * outputs cached) and a trainable top that takes the boundary activations as inputs and
 * shares its layers (and weights) with the full model.
 */
import { HeadstartError } from '@headstart/core';
import { tfl, type LayersModel, type SymbolicTensor } from '../tf.ts';

/** One layer and the layers (output tensor index) it reads, in model order. */
export interface GraphLayer {
  name: string;
  className: string;
  inbound: { layer: string; tensor: number }[];
}

/** Layers whose output is random in training mode: they must run in the top, never be cached. */
export const STOCHASTIC_LAYERS = new Set(['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);

interface InboundConfig {
  name: string;
  className: string;
  inboundNodes: [string, number, number, unknown][][];
}

/** The model's layer graph from its own config (only nodes that belong to this model). */
export function modelGraph(model: LayersModel): GraphLayer[] {
  const cfg = model.getConfig() as unknown as { layers: InboundConfig[] };
  return cfg.layers.map((l) => ({
    name: l.name,
    className: l.className,
    inbound: (l.inboundNodes[0] ?? []).map((n) => ({ layer: n[0], tensor: n[2] })),
  }));
}

/** A model split at its freeze boundary. */
export interface SplitModel {
  /** Boundary tensors as `layer:tensorIndex` keys, in the order of `top`'s inputs. */
  boundary: string[];
  /** Input → boundary activations; null when the boundary is the model input itself. */
  prefix: LayersModel | null;
  /** Boundary activations → model output, sharing layers with the full model. */
  top: LayersModel;
  /** Names of the layers run in `top`. */
  topLayers: string[];
}

/**
 * Splits `model` so that every layer depending on a layer in `seeds` (trainable or
 * stochastic) is in the top and everything else in the prefix.
 */
export function splitModel(model: LayersModel, seeds: ReadonlySet<string>): SplitModel {
  const graph = modelGraph(model);
  const inTop = new Set<string>();
  for (const l of graph) {
    if (seeds.has(l.name) || l.inbound.some((i) => inTop.has(i.layer))) inTop.add(l.name);
  }
  if (inTop.size === 0) throw new HeadstartError('SPEC_INVALID', 'Nothing to train: no layer of the model is trainable');
  const boundary: string[] = [];
  for (const l of graph) {
    if (!inTop.has(l.name)) continue;
    for (const i of l.inbound) {
      const key = `${i.layer}:${i.tensor}`;
      if (!inTop.has(i.layer) && !boundary.includes(key)) boundary.push(key);
    }
  }
  const outputOf = (key: string): SymbolicTensor => {
    const [name, idx] = splitKey(key);
    const out = model.getLayer(name).getOutputAt(0);
    return (Array.isArray(out) ? out[idx] : out) as SymbolicTensor;
  };
  const boundaryTensors = boundary.map(outputOf);
  const inputs = boundaryTensors.map((t, i) => tfl.input({ shape: t.shape.slice(1) as number[], name: `boundary_${i}_${t.name.replace(/[^A-Za-z0-9_]/g, '_')}` }));
  const values = new Map<string, SymbolicTensor>();
  boundary.forEach((k, i) => values.set(k, inputs[i] as SymbolicTensor));
  const topLayers: string[] = [];
  for (const l of graph) {
    if (!inTop.has(l.name)) continue;
    const args = l.inbound.map((i) => values.get(`${i.layer}:${i.tensor}`) as SymbolicTensor);
    const out = model.getLayer(l.name).apply((args.length === 1 ? args[0] : args) as SymbolicTensor | SymbolicTensor[]) as SymbolicTensor | SymbolicTensor[];
    (Array.isArray(out) ? out : [out]).forEach((t, k) => values.set(`${l.name}:${k}`, t));
    topLayers.push(l.name);
  }
  const outName = model.outputs[0]?.sourceLayer.name ?? '';
  const output = values.get(`${outName}:0`);
  if (!output) throw new HeadstartError('MODEL_INVALID', `The model output layer ${outName} is not downstream of the trainable layers`);
  const top = tfl.model({ inputs, outputs: output });
  const inputNames = new Set(model.inputs.map((t) => t.sourceLayer.name));
  const prefix = boundary.length === 1 && inputNames.has(splitKey(boundary[0] as string)[0]) ? null : tfl.model({ inputs: model.inputs, outputs: boundaryTensors });
  return { boundary, prefix, top, topLayers };
}

function splitKey(key: string): [string, number] {
  const i = key.lastIndexOf(':');
  return [key.slice(0, i), Number(key.slice(i + 1))];
}
