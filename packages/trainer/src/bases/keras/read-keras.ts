/**
 * Keras model files → TF.js layers artifacts, without Python: `.h5` (Keras 2 HDF5: root attribute
 * `model_config` + group `model_weights/<layer>` with `weight_names`) and `.keras` (Keras 3 zip:
 * `config.json` + `model.weights.h5` with `layers/<layer>/vars/<i>`), read with h5wasm.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { unzipSync } from 'fflate';
import * as h5wasm from 'h5wasm';
import { concatBytes, HeadstartError, type ModelJson } from '@headstart/core';
import type { tfc } from '../../tf.ts';
import { convertKerasTopology, type ConvertedTopology, type LayerWeights } from './keras-topology.ts';

type Cfg = Record<string, unknown>;
type H5Group = h5wasm.Group;

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** True when an HDF5 superblock signature sits at offset 0 or a power-of-two user-block offset. */
function looksLikeHdf5(bytes: Uint8Array): boolean {
  for (let off = 0; off + 8 <= bytes.byteLength; off = off === 0 ? 512 : off * 2) {
    if (HDF5_SIGNATURE.every((b, i) => bytes[off + i] === b)) return true;
  }
  return false;
}

/** Opens `bytes` as an HDF5 file in h5wasm's in-memory file system for the duration of `fn`. */
async function withH5<T>(bytes: Uint8Array, where: string, fn: (f: h5wasm.File) => T): Promise<T> {
  if (!looksLikeHdf5(bytes)) throw new HeadstartError('MODEL_INVALID', `${where} is not an HDF5 file (no HDF5 signature)`, { details: { path: where } });
  const mod = await h5wasm.ready;
  const name = `/headstart-${randomBytes(6).toString('hex')}.h5`;
  mod.FS.writeFile(name, bytes);
  let file: h5wasm.File | undefined;
  try {
    try {
      file = new h5wasm.File(name, 'r');
    } catch (cause) {
      throw new HeadstartError('MODEL_INVALID', `${where} is not a readable HDF5 file`, { cause });
    }
    if (file.file_id < 0n) {
      file = undefined;
      throw new HeadstartError('MODEL_INVALID', `${where} is not a readable HDF5 file`);
    }
    return fn(file);
  } finally {
    file?.close();
    mod.FS.unlink(name);
  }
}

function stringAttr(g: H5Group | h5wasm.File, key: string): string | undefined {
  const v = g.attrs[key]?.value;
  return typeof v === 'string' ? v : undefined;
}

function stringList(g: H5Group, key: string): string[] {
  const v = g.attrs[key]?.value;
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

function asFloat32(d: h5wasm.Dataset, where: string): Float32Array {
  const v = d.value;
  if (v instanceof Float32Array) return v;
  if (v instanceof Float64Array) return Float32Array.from(v);
  throw new HeadstartError('MODEL_INVALID', `${where}: weight ${d.path} has dtype ${String(d.dtype)}; only float32/float64 weights are supported`);
}

interface Collected {
  specs: tfc.io.WeightsManifestEntry[];
  parts: Uint8Array[];
}

function push(out: Collected, name: string, shape: number[], data: Float32Array): void {
  out.specs.push({ name, shape, dtype: 'float32' });
  out.parts.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** Stores one layer's variables (in `vars` order) under their TF.js names; Normalization's variance is clamped. */
function addLayerWeights(out: Collected, layer: LayerWeights, values: { shape: number[]; data: Float32Array }[], where: string): void {
  if (values.length < layer.vars.length) {
    throw new HeadstartError('MODEL_INVALID', `${where}: layer ${layer.name} (${layer.kerasClass}) has ${values.length} weights, expected ${layer.vars.length} (${layer.vars.join(', ')})`, {
      details: { layer: layer.name },
    });
  }
  layer.targets.forEach((target, i) => {
    const val = values[i] as { shape: number[]; data: Float32Array };
    if (layer.kerasClass === 'Normalization') {
      // Keras divides by max(sqrt(variance), 1e-7): a BatchNormalization with epsilon 0 on max(variance, 1e-14).
      const data = i === 1 ? Float32Array.from(val.data, (v) => Math.max(v, 1e-14)) : Float32Array.from(val.data);
      push(out, target, [data.length], data);
    } else push(out, target, val.shape, val.data);
  });
}

/** Keras 2: `model_weights/<layer>` (attr `weight_names`, datasets by those names), matched to the rule's variables by name. */
function keras2Weights(root: H5Group, topo: ConvertedTopology, where: string): Collected {
  const out: Collected = { specs: [], parts: [] };
  for (const layer of topo.layers) {
    const g = root.get(layer.name);
    if (!(g instanceof h5wasm.Group)) throw new HeadstartError('MODEL_INVALID', `${where}: no weights group for layer ${layer.name}`, { details: { layer: layer.name } });
    const byVar = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const wn of stringList(g, 'weight_names')) {
      const d = g.get(wn);
      if (!(d instanceof h5wasm.Dataset)) throw new HeadstartError('MODEL_INVALID', `${where}: weight ${layer.name}/${wn} is missing`, { details: { layer: layer.name } });
      byVar.set(wn.split('/').pop()?.replace(/:\d+$/, '') ?? wn, { shape: [...(d.shape ?? [])], data: asFloat32(d, where) });
    }
    const values = layer.vars.map((v) => byVar.get(v) ?? byVar.get(v.replace('depthwise_kernel', 'kernel')));
    const missing = layer.vars.filter((_, i) => !values[i]);
    if (missing.length > 0) {
      throw new HeadstartError('MODEL_INVALID', `${where}: layer ${layer.name} lacks weight(s) ${missing.join(', ')} (has ${[...byVar.keys()].join(', ') || 'none'})`, { details: { layer: layer.name } });
    }
    addLayerWeights(out, layer, values as { shape: number[]; data: Float32Array }[], where);
  }
  return out;
}

/** Keras 3: `layers/<layer>/vars/<i>` in saving order. */
function keras3Weights(f: h5wasm.File, topo: ConvertedTopology, where: string): Collected {
  const out: Collected = { specs: [], parts: [] };
  for (const layer of topo.layers) {
    const g = f.get(`layers/${layer.name}/vars`) ?? f.get(`_layer_checkpoint_dependencies/${layer.name}/vars`);
    if (!(g instanceof h5wasm.Group)) throw new HeadstartError('MODEL_INVALID', `${where}: no layers/${layer.name}/vars group in model.weights.h5`, { details: { layer: layer.name } });
    const keys = g.keys().filter((k) => /^\d+$/.test(k)).sort((a, b) => Number(a) - Number(b));
    const values = keys.slice(0, layer.vars.length).map((k) => {
      const d = g.get(k) as h5wasm.Dataset;
      return { shape: [...(d.shape ?? [])], data: asFloat32(d, where) };
    });
    addLayerWeights(out, layer, values, where);
  }
  return out;
}

function artifacts(topo: ConvertedTopology, w: Collected, generatedBy: string): { json: ModelJson; weightData: Uint8Array } {
  return {
    json: { format: 'layers-model', generatedBy, convertedBy: 'headstart keras import', modelTopology: topo.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: w.specs }] },
    weightData: concatBytes(w.parts),
  };
}

function parseJson(text: string, where: string): Cfg {
  try {
    return JSON.parse(text) as Cfg;
  } catch (cause) {
    throw new HeadstartError('MODEL_INVALID', `${where} is not valid JSON`, { cause });
  }
}

/** A Keras 2 `.h5` (whole model, as `model.save('x.h5')` writes it) as layers artifacts. */
export async function readKerasH5(path: string): Promise<{ json: ModelJson; weightData: Uint8Array }> {
  const bytes = new Uint8Array(await readFile(path));
  return withH5(bytes, path, (f) => {
    const config = stringAttr(f, 'model_config');
    if (config === undefined) {
      throw new HeadstartError(
        'MODEL_INVALID',
        `${path} has no model_config attribute: it holds weights only (e.g. keras.applications' *_no_top.h5). Save the whole model (model.save('model.h5') or 'model.keras') so its architecture travels with the weights`,
      );
    }
    const topo = convertKerasTopology(parseJson(config, `${path} model_config`), path);
    const root = f.get('model_weights');
    if (!(root instanceof h5wasm.Group)) throw new HeadstartError('MODEL_INVALID', `${path} has no model_weights group`);
    return artifacts(topo, keras2Weights(root, topo, path), `Keras ${stringAttr(f, 'keras_version') ?? '2'} (HDF5)`);
  });
}

/** A Keras 3 `.keras` zip (config.json + model.weights.h5) as layers artifacts. */
export async function readKerasZip(path: string): Promise<{ json: ModelJson; weightData: Uint8Array }> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(new Uint8Array(await readFile(path)), { filter: (f) => ['config.json', 'model.weights.h5', 'metadata.json'].includes(f.name) });
  } catch (cause) {
    throw new HeadstartError('MODEL_INVALID', `${path} is not a readable .keras (zip) file`, { cause });
  }
  const config = entries['config.json'];
  const weights = entries['model.weights.h5'];
  if (!config || !weights) throw new HeadstartError('MODEL_INVALID', `${path} lacks ${config ? 'model.weights.h5' : 'config.json'} (a Keras 3 .keras archive has both)`);
  const topo = convertKerasTopology(parseJson(new TextDecoder().decode(config), `${path}/config.json`), path);
  const meta = entries['metadata.json'] ? parseJson(new TextDecoder().decode(entries['metadata.json']), `${path}/metadata.json`) : {};
  return withH5(weights, `${path}/model.weights.h5`, (f) => artifacts(topo, keras3Weights(f, topo, path), `Keras ${String(meta['keras_version'] ?? '3')} (.keras)`));
}

/** True for file names the Keras readers take. */
export function isKerasFile(path: string): boolean {
  return /\.(h5|hdf5|keras)$/i.test(path);
}

/** Reads a `.h5`/`.hdf5` or `.keras` file as layers artifacts. */
export function readKerasModel(path: string): Promise<{ json: ModelJson; weightData: Uint8Array }> {
  return /\.keras$/i.test(path) ? readKerasZip(path) : readKerasH5(path);
}
