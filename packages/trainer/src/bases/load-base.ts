/** `loadBase`: a catalogue id, a model.json path or URL, or a finished run → a cut, frozen-ready feature extractor. */
import { basename, join, resolve } from 'node:path';
import { functionalConfig, HeadstartError, nearLayerNames, RunManifestSchema, weightSpecsOf, type EventSink, type ModelJson, type PreprocessMode } from '@headstart/core';
import { readModelJsonFile, readTextIfPresent, statIfPresent } from '@headstart/core-node';
import { tfc, tfl, type LayersModel } from '../tf.ts';
import { buildArtifacts, layerNotFound, rewriteTopology } from './artifacts.ts';
import { findBase, listBases } from './catalogue.ts';
import { nsfwjsVersion, readNsfwjsModel } from './nsfwjs-bundle.ts';
import { isKerasFile, readKerasModel } from './keras/read-keras.ts';
import { isOnnxPath, loadOnnxBase, type OnnxBaseRecord } from './onnx-base.ts';
import { ensureCachedModel, type RemoteModelOptions } from './remote.ts';

/** A layer of a base as the freeze planner sees it. */
export interface BaseLayer {
  name: string;
  className: string;
  weighted: boolean;
}

/** A base model cut below its classifier, ready to be topped with a head. */
export interface LoadedBase {
  id: string;
  source: string;
  provenance: string;
  /** Input → cut output (all layers trainable until a freeze plan is applied). */
  model: LayersModel;
  cut: string;
  inputSize: [number, number];
  preprocess: PreprocessMode;
  /** Layers in topological order, InputLayer excluded (none for an ONNX base: nothing of it trains). */
  layers: BaseLayer[];
  /** Set for a frozen ONNX base: `model` is then its features' input layer, the ONNX graph runs before it. */
  onnx?: OnnxBaseRecord;
}

/** Options of `loadBase`. */
export interface LoadBaseOptions {
  /** A square side, or [height, width] (a resumed run passes its manifest's size as it is). */
  inputSize?: number | [number, number];
  cut?: string;
  preprocess?: PreprocessMode;
  /** Where downloaded bases are cached (default: `defaultCacheDir()`). */
  cacheDir?: string;
  /** Replaces the host of download URLs (e.g. an internal mirror). */
  mirror?: string;
  /** Injected fetch (tests). */
  fetch?: typeof fetch;
  /** Abort a download when no byte arrives for this long. */
  idleTimeoutMs?: number;
  /** Receives `download` progress events and `warning`s about replaced cache files. */
  onEvent?: EventSink;
}

/** The download options of `loadBase` options (cache, mirror, fetch, events). */
export function loadBaseRemoteOptions(opts: LoadBaseOptions): RemoteModelOptions {
  const onEvent = opts.onEvent;
  return {
    ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
    ...(opts.mirror ? { mirror: opts.mirror } : {}),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.idleTimeoutMs !== undefined ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
    ...(onEvent
      ? {
          onProgress: (p) => onEvent({ type: 'download', ...p }),
          onCorrupt: (path, expected, actual) =>
            onEvent({ type: 'warning', code: 'BASE_CACHE_CORRUPT', message: `Cached ${path} has sha256 ${actual}, expected ${expected}: replacing it`, path }),
        }
      : {}),
  };
}

interface Source {
  id: string;
  source: string;
  provenance: string;
  json: ModelJson;
  weightData: Uint8Array;
  nativeSize?: [number, number];
  defaultCut?: string;
  preprocess: PreprocessMode;
  sizeRange: [number, number];
}

const FIXED_SIZE_LAYERS = new Set(['Flatten', 'Dense', 'Reshape']);

async function isFile(p: string): Promise<boolean> {
  return (await statIfPresent(p))?.isFile() ?? false;
}

function nativeInputSize(json: ModelJson): [number, number] | undefined {
  for (const l of functionalConfig(json.modelTopology).layers) {
    if (l.class_name !== 'InputLayer') continue;
    const s = (l.config['batch_input_shape'] ?? l.config['batchInputShape']) as (number | null)[] | undefined;
    if (s && typeof s[1] === 'number' && typeof s[2] === 'number') return [s[1], s[2]];
  }
  return undefined;
}

async function resolveSource(ref: string, opts: LoadBaseOptions): Promise<Source> {
  const entry = findBase(ref);
  if (entry?.url || entry?.bundle) {
    let loaded: { json: ModelJson; weightData: Uint8Array };
    let source: string;
    if (entry.url) {
      const cached = await ensureCachedModel(entry.url, { ...loadBaseRemoteOptions(opts), folder: entry.id, ...(entry.sha256 ? { pinned: entry.sha256 } : {}) });
      loaded = await readModelJsonFile(cached.modelJsonPath);
      source = `${cached.url} (sha256 ${cached.record.trust === 'pinned' ? 'pinned' : 'recorded at first download'}, cached in ${cached.dir})`;
    } else {
      loaded = readNsfwjsModel(entry.bundle as string);
      source = `${entry.source} (nsfwjs ${nsfwjsVersion()})`;
    }
    return {
      id: entry.id,
      source,
      provenance: entry.provenance,
      ...loaded,
      nativeSize: entry.inputSize,
      defaultCut: entry.defaultCut,
      preprocess: entry.preprocess,
      sizeRange: entry.sizeRange,
    };
  }
  if (/^https?:\/\//i.test(ref)) {
    const cached = await ensureCachedModel(ref, loadBaseRemoteOptions(opts));
    const { json, weightData } = await readModelJsonFile(cached.modelJsonPath);
    return { id: ref, source: cached.url, provenance: `Downloaded from ${ref}; provenance as stated by its publisher`, json, weightData, preprocess: opts.preprocess ?? 'tf', sizeRange: [32, 1024] };
  }
  const abs = resolve(ref);
  const manifestText = await readTextIfPresent(join(abs, 'headstart.json'));
  if (manifestText !== undefined) {
    const manifest = RunManifestSchema.parse(JSON.parse(manifestText));
    const { json, weightData } = await readModelJsonFile(join(abs, 'model', 'model.json'));
    return {
      id: `run:${basename(abs)}`,
      source: abs,
      provenance: `Headstart run ${manifest.name} (its base: ${manifest.base.id}; trained on ${manifest.dataset.path}); head removed`,
      json,
      weightData,
      nativeSize: manifest.preprocess.size,
      defaultCut: manifest.base.cut,
      preprocess: manifest.preprocess.mode,
      sizeRange: [32, 1024],
    };
  }
  if (isKerasFile(abs) && (await isFile(abs))) {
    const { json, weightData } = await readKerasModel(abs);
    return { id: abs, source: abs, provenance: `Bring-your-own Keras model ${abs} (${json.generatedBy ?? 'Keras'}), converted to TF.js layers on load`, json, weightData, preprocess: opts.preprocess ?? 'tf', sizeRange: [32, 1024] };
  }
  const jsonPath = (await isFile(abs)) ? abs : (await isFile(join(abs, 'model.json'))) ? join(abs, 'model.json') : undefined;
  if (jsonPath) {
    const { json, weightData } = await readModelJsonFile(jsonPath);
    return { id: jsonPath, source: jsonPath, provenance: `Bring-your-own layers model ${jsonPath}`, json, weightData, preprocess: opts.preprocess ?? 'tf', sizeRange: [32, 1024] };
  }
  const ids = listBases().map((b) => b.id);
  const near = nearLayerNames(ref, ids, 3);
  const hint = near.length > 0 ? `; did you mean ${near.map((n) => `"${n}"`).join(', ')}?` : '';
  throw new HeadstartError('BASE_UNKNOWN', `Unknown base "${ref}": not a catalogue id (${ids.join(', ')}), an existing model.json, Keras .h5/.keras file, .onnx file or run directory, nor an http(s) URL${hint}`, {
    details: { base: ref, near },
  });
}

/** The last layer (in topological order) whose output is spatial (rank 4): the global-pool input. */
function lastSpatialLayer(model: LayersModel): string {
  let name = model.layers[model.layers.length - 1]?.name ?? '';
  for (const l of model.layers) {
    const shape = l.outputShape;
    if (Array.isArray(shape) && !Array.isArray(shape[0]) && shape.length === 4) name = l.name;
  }
  return name;
}

async function loadArtifacts(src: Source, cut: string, size: [number, number] | undefined): Promise<LayersModel> {
  const topology = rewriteTopology(src.json.modelTopology, cut, size);
  const artifacts = buildArtifacts(topology, weightSpecsOf(src.json), src.weightData);
  return tfl.loadLayersModel(tfc.io.fromMemory(artifacts), { strict: true });
}

/**
 * Loads a base cut at `opts.cut` (default: the catalogue's cut, or the global-pool input; for an
 * `.onnx` file see `loadOnnxBase`)
 * with an optional new square input size. Layers after the cut are dropped with their weights.
 * @example const base = await loadBase('mobilenet_v2', { inputSize: 96 });
 */
export async function loadBase(ref: string, opts: LoadBaseOptions = {}): Promise<LoadedBase> {
  // Building layers creates tensors: make sure a backend is initialised (a caller that skipped
  // selectBackend would otherwise see a misleading input-size error below).
  await tfc.ready();
  if (isOnnxPath(ref) && !/^https?:\/\//i.test(ref)) {
    return loadOnnxBase(resolve(ref), {
      ...(opts.cut ? { cut: opts.cut } : {}),
      ...(opts.inputSize !== undefined ? { inputSize: opts.inputSize } : {}),
      ...(opts.preprocess ? { preprocess: opts.preprocess } : {}),
      ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
    });
  }
  const src = await resolveSource(ref, opts);
  const layerNames = functionalConfig(src.json.modelTopology).layers.map((l) => l.name);
  let cut = opts.cut ?? src.defaultCut;
  if (cut !== undefined && !layerNames.includes(cut)) throw layerNotFound(cut, layerNames, src.defaultCut);
  if (cut === undefined) {
    const full = await loadArtifacts(src, layerNames[layerNames.length - 1] as string, undefined);
    cut = lastSpatialLayer(full);
    full.dispose();
  }
  const native = src.nativeSize ?? nativeInputSize(src.json);
  let size: [number, number] | undefined;
  if (opts.inputSize !== undefined) {
    const [sh, sw] = typeof opts.inputSize === 'number' ? [opts.inputSize, opts.inputSize] : opts.inputSize;
    const [lo, hi] = src.sizeRange;
    const isNative = native !== undefined && native[0] === sh && native[1] === sw;
    const bad = [sh, sw].find((s) => !Number.isInteger(s) || s < lo || s > hi);
    if (!isNative && bad !== undefined) {
      throw new HeadstartError('INPUT_SIZE_UNSUPPORTED', `Input size ${bad} is not supported by base ${src.id} (accepted: ${lo}–${hi} px)`, { details: { inputSize: bad } });
    }
    if (!isNative) size = [sh, sw];
  }
  if (size) {
    const kept = functionalConfig(rewriteTopology(src.json.modelTopology, cut)).layers;
    const fixed = kept.find((l) => FIXED_SIZE_LAYERS.has(l.class_name));
    if (fixed) {
      throw new HeadstartError(
        'INPUT_SIZE_UNSUPPORTED',
        `Input size ${size[0]} is not supported by base ${src.id}: it is not fully convolutional up to "${cut}" (layer ${fixed.name} is ${fixed.class_name}); use ${native ? native[0] : 'its native size'}`,
        { details: { inputSize: size[0], layer: fixed.name } },
      );
    }
  }
  let model: LayersModel;
  try {
    model = await loadArtifacts(src, cut, size);
  } catch (cause) {
    if (size) {
      throw new HeadstartError('INPUT_SIZE_UNSUPPORTED', `Input size ${size[0]} is not supported by base ${src.id} up to layer "${cut}": ${(cause as Error).message}`, {
        cause,
        details: { inputSize: size[0] },
      });
    }
    throw new HeadstartError('MODEL_INVALID', `Base ${src.id} cannot be loaded: ${(cause as Error).message}`, { cause });
  }
  const out = model.outputs[0]?.shape ?? [];
  if (out.slice(1).some((d) => d !== null && d <= 0)) {
    model.dispose();
    throw new HeadstartError('INPUT_SIZE_UNSUPPORTED', `Input size ${size?.[0]} is too small for base ${src.id}: layer "${cut}" would have shape [${out.join(', ')}]`, {
      details: { inputSize: size?.[0] },
    });
  }
  const inShape = model.inputs[0]?.shape ?? [];
  const inputSize: [number, number] = [inShape[1] ?? native?.[0] ?? 224, inShape[2] ?? native?.[1] ?? 224];
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => ({ name: l.name, className: l.getClassName(), weighted: l.weights.length > 0 }));
  return { id: src.id, source: src.source, provenance: src.provenance, model, cut, inputSize, preprocess: opts.preprocess ?? src.preprocess, layers };
}
