/**
 * Layers-model artifacts as plain data: reading a model.json + weight files from disk, and
 * rewriting a Keras functional topology (cut after a layer, new input size) before loading.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HeadstartError, nearLayerNames } from '@headstart/core';
import type { tfc } from '../tf.ts';

type ModelArtifacts = tfc.io.ModelArtifacts;
type WeightsManifestEntry = tfc.io.WeightsManifestEntry;

/** A Keras functional layer as it appears in model.json. */
export interface KerasLayerJson {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: unknown[];
}

interface FunctionalConfig {
  name?: string;
  layers: KerasLayerJson[];
  input_layers: unknown[];
  output_layers: unknown[];
}

/** model.json as written by tfjs converters and tfjs-layers `save`. */
export interface ModelJson {
  modelTopology: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

/** Reads `model.json` and its weight shards from a directory into in-memory artifacts. */
export async function readModelJsonFromDisk(modelJsonPath: string): Promise<{ json: ModelJson; weightData: ArrayBuffer }> {
  let text: string;
  try {
    text = await readFile(modelJsonPath, 'utf8');
  } catch (cause) {
    throw new HeadstartError('MODEL_NOT_FOUND', `Cannot read model file ${modelJsonPath}: ${(cause as Error).message}`, { cause });
  }
  const json = parseModelJson(text, modelJsonPath);
  const dir = dirname(modelJsonPath);
  const parts: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      try {
        parts.push(new Uint8Array(await readFile(join(dir, p))));
      } catch (cause) {
        throw new HeadstartError('MODEL_INVALID', `Weight file ${join(dir, p)} named by ${modelJsonPath} cannot be read`, { cause });
      }
    }
  }
  return { json, weightData: concatBytes(parts) };
}

/** Parses and sanity-checks a layers-model JSON text. */
export function parseModelJson(text: string, where: string): ModelJson {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new HeadstartError('MODEL_INVALID', `${where} is not valid JSON`, { cause });
  }
  const json = raw as Partial<ModelJson>;
  if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new HeadstartError('MODEL_INVALID', `${where} is not a TF.js layers model (needs modelTopology and weightsManifest)`);
  }
  return json as ModelJson;
}

/** Concatenates byte arrays into one ArrayBuffer. */
export function concatBytes(parts: Uint8Array[]): ArrayBuffer {
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out.buffer;
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

/** Names of the layers a layer's inbound nodes reference. */
export function inboundNames(layer: KerasLayerJson): string[] {
  const names: string[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      if (typeof v[0] === 'string' && typeof v[1] === 'number') names.push(v[0]);
      else v.forEach(visit);
    } else if (v && typeof v === 'object' && 'args' in v) {
      visit((v as { args: unknown }).args);
    }
  };
  visit(layer.inbound_nodes);
  return names;
}

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
export function layerNotFound(cut: string, names: string[]): HeadstartError {
  const near = nearLayerNames(cut, names);
  const hint = near.length > 0 ? `did you mean ${near.map((n) => `"${n}"`).join(', ')}?` : `its last layers: ${names.slice(-8).join(', ')}`;
  return new HeadstartError('LAYER_NOT_FOUND', `--cut: layer "${cut}" does not exist in this base (${names.length} layers); ${hint}`, {
    details: { layer: cut, near, examples: names.slice(-8) },
  });
}

/** Layer weight-spec prefix: Keras weight names are `<layer>/<var>`. */
function weightLayer(name: string): string {
  const i = name.indexOf('/');
  return i < 0 ? name : name.slice(0, i);
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, complex64: 8 };

/** Byte length of one weight entry in a shard (honouring quantisation). */
function entryBytes(e: WeightsManifestEntry): number {
  const n = e.shape.reduce((a, b) => a * b, 1);
  const dt = e.quantization?.dtype ?? e.dtype;
  const b = DTYPE_BYTES[dt];
  if (b === undefined) throw new HeadstartError('MODEL_INVALID', `Weight ${e.name} has unsupported dtype ${dt}`);
  return n * b;
}

/** Builds artifacts keeping only the weights of layers present in `topology` (weights of dropped layers are not decoded). */
export function buildArtifacts(topology: Record<string, unknown>, entries: WeightsManifestEntry[], weightData: ArrayBuffer): ModelArtifacts {
  const keep = new Set(functionalConfig(topology).layers.map((l) => l.name));
  const specs: WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  let off = 0;
  for (const e of entries) {
    const len = entryBytes(e);
    if (keep.has(weightLayer(e.name))) {
      specs.push(e);
      parts.push(new Uint8Array(weightData, off, len));
    }
    off += len;
  }
  if (off > weightData.byteLength) {
    throw new HeadstartError('MODEL_INVALID', `Weight data is ${weightData.byteLength} bytes but the manifest describes ${off}`);
  }
  return { modelTopology: topology, weightSpecs: specs, weightData: concatBytes(parts), format: 'layers-model' };
}
