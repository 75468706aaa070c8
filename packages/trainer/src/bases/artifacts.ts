/**
 * Rewriting a Keras functional topology before loading it as a base (cut after a layer, new
 * input size) and keeping only the weights of the layers left. Reading model.json and its
 * weights is core's (`@headstart/core` formats/tfjs-model, `@headstart/core-node` readModelJsonFile).
 */
import { concatBytes, functionalConfig, HeadstartError, inboundNames, nearLayerNames, weightByteLength, type WeightSpec } from '@headstart/core';
import type { tfc } from '../tf.ts';

type ModelArtifacts = tfc.io.ModelArtifacts;

/** A copy of `topology` cut after `cut` (its ancestors only) and, optionally, with a new square input size. */
export function rewriteTopology(topology: Record<string, unknown>, cut: string, inputSize?: [number, number]): Record<string, unknown> {
  const copy = structuredClone(topology);
  const cfg = functionalConfig(copy);
  const byName = new Map(cfg.layers.map((l) => [l.name, l]));
  if (!byName.has(cut)) throw layerNotFound(cut, cfg.layers.map((l) => l.name));
  const keep = new Set<string>();
  const stack = [cut];
  while (stack.length > 0) {
    const n = stack.pop() as string;
    if (keep.has(n)) continue;
    keep.add(n);
    const layer = byName.get(n);
    if (layer) stack.push(...inboundNames(layer));
  }
  cfg.layers = cfg.layers.filter((l) => keep.has(l.name));
  cfg.output_layers = [[cut, 0, 0]];
  cfg.input_layers = (cfg.input_layers as [string, number, number][]).filter((i) => keep.has(i[0]));
  if (inputSize) {
    for (const l of cfg.layers) {
      if (l.class_name !== 'InputLayer') continue;
      const shape = (l.config['batch_input_shape'] ?? l.config['batchInputShape']) as (number | null)[] | undefined;
      const channels = shape?.[3] ?? 3;
      l.config['batch_input_shape'] = [null, inputSize[0], inputSize[1], channels];
      delete l.config['batchInputShape'];
    }
  }
  return copy;
}

/** LAYER_NOT_FOUND naming the missing layer and the closest valid names (or the last ones when none is close). */
export function layerNotFound(cut: string, names: string[], defaultCut?: string): HeadstartError {
  const near = nearLayerNames(cut, names);
  const own = defaultCut ? ` (the base's own cut is "${defaultCut}")` : '';
  const hint = (near.length > 0 ? `did you mean ${near.map((n) => `"${n}"`).join(', ')}?` : `its last layers: ${names.slice(-8).join(', ')}`) + own;
  return new HeadstartError('LAYER_NOT_FOUND', `--cut: layer "${cut}" does not exist in this base (${names.length} layers); ${hint}`, {
    details: { layer: cut, near, examples: names.slice(-8) },
  });
}

/** Layer weight-spec prefix: Keras weight names are `<layer>/<var>`. */
function weightLayer(name: string): string {
  const i = name.indexOf('/');
  return i < 0 ? name : name.slice(0, i);
}

/** Builds artifacts keeping only the weights of layers present in `topology` (weights of dropped layers are not decoded). */
export function buildArtifacts(topology: Record<string, unknown>, entries: WeightSpec[], weightData: Uint8Array): ModelArtifacts {
  const keep = new Set(functionalConfig(topology).layers.map((l) => l.name));
  const specs: WeightSpec[] = [];
  const parts: Uint8Array[] = [];
  let off = 0;
  for (const e of entries) {
    const len = weightByteLength(e);
    if (keep.has(weightLayer(e.name))) {
      specs.push(e);
      parts.push(weightData.subarray(off, off + len));
    }
    off += len;
  }
  if (off > weightData.byteLength) {
    throw new HeadstartError('MODEL_INVALID', `Weight data is ${weightData.byteLength} bytes but the manifest describes ${off}`);
  }
  return { modelTopology: topology, weightSpecs: specs, weightData: concatBytes(parts).buffer as ArrayBuffer, format: 'layers-model' };
}
