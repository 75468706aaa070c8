import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HeadstartError } from '@headstart/core';
import { float16ToFloat32 } from './float16.ts';

/** One weight of a TF.js weights manifest entry (tf.io.WeightsManifestEntry shape). */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; min?: number; scale?: number };
}

/**
 * A TF.js layers artifact already in memory: the tf.io.ModelArtifacts shape the trainer and
 * nsfwjs hand around (topology JSON plus concatenated weight data described by weightSpecs).
 */
export interface ArtifactSource {
  modelTopology: unknown;
  weightSpecs: WeightSpec[];
  weightData: ArrayBuffer | ArrayBuffer[] | Uint8Array;
}

/** A decoded weight: float32 values with their Keras shape. */
export interface Weight {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** A layers artifact with every weight decoded to float32; no TF.js backend involved. */
export interface LayersArtifact {
  modelTopology: Record<string, unknown>;
  weights: Map<string, Weight>;
  /** Where it came from (a path or "memory"), for messages. */
  origin: string;
}

interface ModelJson {
  modelTopology?: unknown;
  weightsManifest?: { paths: string[]; weights: WeightSpec[] }[];
}

/** Reads `model.json` and its weight files from disk and decodes every weight. */
export async function readLayersArtifact(modelJsonPath: string): Promise<LayersArtifact> {
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as ModelJson;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'MODEL_NOT_FOUND' : 'MODEL_INVALID';
    throw new HeadstartError(code, `cannot read TF.js layers model ${modelJsonPath}: ${(e as Error).message}`, { cause: e });
  }
  if (json.modelTopology === undefined || json.modelTopology === null) {
    throw new HeadstartError('MODEL_INVALID', `${modelJsonPath} has no modelTopology: is it a TF.js layers model (not a graph model)?`);
  }
  const specs: WeightSpec[] = [];
  const chunks: Uint8Array[] = [];
  for (const group of json.weightsManifest ?? []) {
    for (const p of group.paths) {
      const file = join(dirname(modelJsonPath), p);
      try {
        chunks.push(new Uint8Array(await readFile(file)));
      } catch (e) {
        throw new HeadstartError('MODEL_INVALID', `weight file ${file} named by ${modelJsonPath} cannot be read`, { cause: e });
      }
    }
    specs.push(...group.weights);
  }
  return decodeArtifact({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: concat(chunks) }, modelJsonPath);
}

/** Decodes an in-memory artifact (tf.io.ModelArtifacts shape) into float32 weights. */
export function decodeArtifact(source: ArtifactSource, origin = 'memory'): LayersArtifact {
  const topology = source.modelTopology;
  if (typeof topology !== 'object' || topology === null) {
    throw new HeadstartError('MODEL_INVALID', `${origin}: modelTopology must be a JSON object`);
  }
  const data = toBytes(source.weightData);
  const weights = new Map<string, Weight>();
  let offset = 0;
  for (const spec of source.weightSpecs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const { values, bytes } = decodeWeight(spec, data, offset, size, origin);
    offset += bytes;
    weights.set(spec.name, { name: spec.name, shape: spec.shape, values });
  }
  if (offset !== data.byteLength) {
    throw new HeadstartError(
      'MODEL_INVALID',
      `${origin}: weight data has ${data.byteLength} bytes but the manifest describes ${offset}; the weight files do not match model.json`,
    );
  }
  return { modelTopology: topology as Record<string, unknown>, weights, origin };
}

function decodeWeight(spec: WeightSpec, data: Uint8Array, offset: number, size: number, origin: string): { values: Float32Array; bytes: number } {
  const q = spec.quantization;
  const dtype = q?.dtype ?? spec.dtype;
  const width = dtype === 'uint8' || dtype === 'bool' ? 1 : dtype === 'uint16' || dtype === 'float16' ? 2 : 4;
  const bytes = size * width;
  if (offset + bytes > data.byteLength) {
    throw new HeadstartError('MODEL_INVALID', `${origin}: weight ${spec.name} runs past the end of the weight data`);
  }
  const view = new DataView(data.buffer, data.byteOffset + offset, bytes);
  const values = new Float32Array(size);
  if (q !== undefined && (q.dtype === 'uint8' || q.dtype === 'uint16')) {
    const min = q.min ?? 0;
    const scale = q.scale ?? 1;
    for (let i = 0; i < size; i++) {
      const v = q.dtype === 'uint8' ? view.getUint8(i) : view.getUint16(2 * i, true);
      values[i] = v * scale + min;
    }
  } else if (dtype === 'float16') {
    for (let i = 0; i < size; i++) values[i] = float16ToFloat32(view.getUint16(2 * i, true));
  } else if (dtype === 'float32') {
    for (let i = 0; i < size; i++) values[i] = view.getFloat32(4 * i, true);
  } else if (dtype === 'int32') {
    for (let i = 0; i < size; i++) values[i] = view.getInt32(4 * i, true);
  } else {
    throw new HeadstartError('MODEL_INVALID', `${origin}: weight ${spec.name} has unsupported dtype ${dtype}`);
  }
  return { values, bytes };
}

function toBytes(data: ArrayBuffer | ArrayBuffer[] | Uint8Array): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (Array.isArray(data)) return concat(data.map((b) => new Uint8Array(b)));
  return new Uint8Array(data);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const total = chunks.reduce((a, c) => a + c.byteLength, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
}
