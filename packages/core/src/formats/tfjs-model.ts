/**
 * The one owner of the TF.js layers-model format (`model.json` + weight shards): its schema,
 * parsing, the document the trainer writes, and decoding weight bytes. Everyone else (exporter,
 * trainer, parity check) imports this; file reading lives in `@headstart/core-node`.
 */
import { z } from 'zod';
import { HeadstartError } from '../errors.ts';
import { float16ToFloat32 } from '../math/float16.ts';

/** One entry of a TF.js weights manifest (the tf.io.WeightsManifestEntry shape). */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; min?: number; scale?: number; original_dtype?: string };
}

/** One group of a weights manifest: shard files (relative to model.json) and the weights they hold, in order. */
export interface WeightsGroup {
  paths: string[];
  weights: WeightSpec[];
}

/** `model.json` as tfjs converters and tfjs-layers `save` write it. */
export interface ModelJson {
  modelTopology: Record<string, unknown>;
  weightsManifest: WeightsGroup[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

/**
 * A layers model in memory: the tf.io.ModelArtifacts shape (topology plus the concatenated
 * weight bytes that `weightSpecs` describe, in order).
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

const WeightSpecSchema = z.looseObject({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.enum(['float32', 'int32', 'bool', 'string', 'complex64']),
  quantization: z.looseObject({ dtype: z.enum(['uint8', 'uint16', 'float16']), min: z.number().optional(), scale: z.number().optional() }).optional(),
});

/** Schema of `model.json` (unknown extra keys such as `userDefinedMetadata` pass through). */
export const ModelJsonSchema = z.looseObject({
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z.array(z.looseObject({ paths: z.array(z.string()), weights: z.array(WeightSpecSchema) })).default([]),
  format: z.string().optional(),
  generatedBy: z.string().optional(),
  convertedBy: z.string().nullable().optional(),
});

/** Parses and checks a `model.json` (text or an already parsed object); `where` names it in errors. */
export function parseModelJson(input: string | unknown, where: string): ModelJson {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (cause) {
      throw new HeadstartError('MODEL_INVALID', `${where} is not valid JSON`, { cause });
    }
  }
  const topology = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)['modelTopology'] : undefined;
  if (topology === undefined || topology === null) {
    throw new HeadstartError('MODEL_INVALID', `${where} has no modelTopology: it is not a TF.js layers model (not a graph model either)`);
  }
  const parsed = ModelJsonSchema.safeParse(raw);
  if (!parsed.success) {
    throw new HeadstartError('MODEL_INVALID', `${where} is not a TF.js layers model.json: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`, {
      cause: parsed.error,
    });
  }
  return parsed.data as ModelJson;
}

/** Every weight spec of a manifest, in shard order. */
export function weightSpecsOf(json: ModelJson): WeightSpec[] {
  return json.weightsManifest.flatMap((g) => g.weights);
}

/** The `model.json` document for a topology whose weights are stored in `paths` (written by the trainer). */
export function modelJsonDocument(modelTopology: unknown, weightSpecs: WeightSpec[], paths: string[], generatedBy: string): ModelJson {
  return {
    format: 'layers-model',
    generatedBy,
    convertedBy: 'headstart',
    modelTopology: modelTopology as Record<string, unknown>,
    weightsManifest: [{ paths, weights: weightSpecs }],
  };
}

/** Concatenates byte chunks into one fresh Uint8Array (its buffer holds exactly these bytes). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

/** Weight data in any tf.io shape as one Uint8Array view. */
export function weightBytes(data: ArrayBuffer | ArrayBuffer[] | Uint8Array): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (Array.isArray(data)) return concatBytes(data.map((b) => new Uint8Array(b)));
  return new Uint8Array(data);
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, complex64: 8 };

/** Byte length of one weight in the shard data (honouring quantisation). */
export function weightByteLength(spec: WeightSpec): number {
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const width = DTYPE_BYTES[dtype];
  if (width === undefined) throw new HeadstartError('MODEL_INVALID', `Weight ${spec.name} has unsupported dtype ${dtype}`);
  return spec.shape.reduce((a, b) => a * b, 1) * width;
}

/**
 * Decodes every weight to float32 (dequantising uint8/uint16 with min/scale, widening float16);
 * throws MODEL_INVALID when the bytes do not match the specs exactly.
 */
export function decodeWeights(specs: readonly WeightSpec[], data: Uint8Array, origin: string): Map<string, Weight> {
  const weights = new Map<string, Weight>();
  let offset = 0;
  for (const spec of specs) {
    const bytes = weightByteLength(spec);
    if (offset + bytes > data.byteLength) throw new HeadstartError('MODEL_INVALID', `${origin}: weight ${spec.name} runs past the end of the weight data`);
    weights.set(spec.name, { name: spec.name, shape: spec.shape, values: decodeWeight(spec, new DataView(data.buffer, data.byteOffset + offset, bytes), origin) });
    offset += bytes;
  }
  if (offset !== data.byteLength) {
    throw new HeadstartError(
      'MODEL_INVALID',
      `${origin}: weight data has ${data.byteLength} bytes but the manifest describes ${offset}; the weight files do not match model.json`,
    );
  }
  return weights;
}

function decodeWeight(spec: WeightSpec, view: DataView, origin: string): Float32Array {
  const q = spec.quantization;
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  if (q !== undefined && (q.dtype === 'uint8' || q.dtype === 'uint16')) {
    const min = q.min ?? 0;
    const scale = q.scale ?? 1;
    for (let i = 0; i < size; i++) values[i] = (q.dtype === 'uint8' ? view.getUint8(i) : view.getUint16(2 * i, true)) * scale + min;
  } else if (q?.dtype === 'float16') {
    for (let i = 0; i < size; i++) values[i] = float16ToFloat32(view.getUint16(2 * i, true));
  } else if (spec.dtype === 'float32') {
    for (let i = 0; i < size; i++) values[i] = view.getFloat32(4 * i, true);
  } else if (spec.dtype === 'int32') {
    for (let i = 0; i < size; i++) values[i] = view.getInt32(4 * i, true);
  } else {
    throw new HeadstartError('MODEL_INVALID', `${origin}: weight ${spec.name} has unsupported dtype ${spec.dtype}`);
  }
  return values;
}
