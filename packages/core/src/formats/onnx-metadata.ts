/**
 * The one owner of Headstart's ONNX metadata: the `headstart.*` keys of `metadata_props`, what
 * the exporter writes under them (encode) and what every consumer reads back (decode), plus
 * reading `metadata_props` from ONNX bytes (onnxruntime does not expose them).
 */
import protobuf from 'protobufjs/minimal.js';
import { HeadstartError } from '../errors.ts';
import { PreprocessSpecSchema, preprocessSpecFor, type PreprocessSpec } from '../specs/preprocess.ts';
import { UnknownThresholdSchema } from '../math/unknown.ts';

/**
 * The optional Grad-CAM output of an exported classifier: per-class Σ_k α_kc A_k over the head's
 * input feature map, [N, h, w, classes], before ReLU (see the exporter's cam.ts).
 */
export const ONNX_CAM_OUTPUT = 'cam';

/** Every metadata key Headstart writes into an ONNX file. */
export const ONNX_METADATA_KEYS = {
  /** Exporter version ("0.1.0"). */
  version: 'headstart.version',
  /** JSON array of class labels, in output order. */
  labels: 'headstart.labels',
  /** JSON PreprocessSpec the graph applies to its RGB 0–255 input. */
  preprocess: 'headstart.preprocess',
  /** JSON [height, width] of the input. */
  inputSize: 'headstart.input_size',
  /** The run (or model.json) it was exported from. */
  sourceRun: 'headstart.source_run',
  /** Set when the file is a feature extractor cut at this layer. */
  featureCut: 'headstart.feature_cut',
  /** Top-1 probability below which consumers answer "unknown" (absent: never). */
  unknownBelow: 'headstart.unknown_below',
  /** sha256 of the file's content with this key absent. */
  sha256: 'headstart.sha256',
} as const;

/** What the exporter records about a model (each key written only when given). */
export interface HeadstartMetadataInput {
  version?: string;
  labels?: readonly string[];
  preprocess?: PreprocessSpec;
  inputSize?: readonly [number, number];
  sourceRun?: string;
  featureCut?: string;
  unknownBelow?: number;
}

/** Encodes the metadata as `metadata_props` entries, in a stable order (sha256 is added last by the exporter). */
export function encodeHeadstartMetadata(m: HeadstartMetadataInput): { key: string; value: string }[] {
  const k = ONNX_METADATA_KEYS;
  const out: { key: string; value: string }[] = [];
  if (m.version !== undefined) out.push({ key: k.version, value: m.version });
  if (m.labels) out.push({ key: k.labels, value: JSON.stringify(m.labels) });
  if (m.preprocess) out.push({ key: k.preprocess, value: JSON.stringify(m.preprocess) });
  if (m.sourceRun) out.push({ key: k.sourceRun, value: m.sourceRun });
  if (m.featureCut) out.push({ key: k.featureCut, value: m.featureCut });
  if (m.inputSize) out.push({ key: k.inputSize, value: JSON.stringify(m.inputSize) });
  if (m.unknownBelow !== undefined) out.push({ key: k.unknownBelow, value: String(UnknownThresholdSchema.parse(m.unknownBelow)) });
  return out;
}

/** What a consumer needs from a Headstart ONNX file's metadata_props. */
export interface HeadstartModelInfo {
  labels: string[];
  preprocess: PreprocessSpec;
  inputSize: [number, number];
  /** Top-1 probability below which the answer is "unknown" (absent: never). */
  unknownBelow?: number;
}

function parseJson(key: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new HeadstartError('MODEL_INVALID', `ONNX metadata "${key}" is not valid JSON: ${text.slice(0, 80)}`, { cause });
  }
}

/** Parses `headstart.input_size`: "[h,w]", "h,w", "hxw" or a single number for square inputs. */
export function parseInputSize(text: string): [number, number] {
  const nums = text.match(/\d+/g)?.map(Number) ?? [];
  const h = nums[0];
  const w = nums.length > 1 ? nums[1] : nums[0];
  if (h === undefined || w === undefined || h <= 0 || w <= 0 || nums.length > 2) {
    throw new HeadstartError('MODEL_INVALID', `ONNX metadata "${ONNX_METADATA_KEYS.inputSize}" should be [height, width], got "${text}".`);
  }
  return [h, w];
}

/**
 * Reads labels, PreprocessSpec and input size from metadata_props. `classes` (the output width, when
 * known) fills in "class N" labels for files without `headstart.labels`.
 */
export function parseHeadstartMetadata(meta: Record<string, string>, classes?: number): HeadstartModelInfo {
  const k = ONNX_METADATA_KEYS;
  const prepText = meta[k.preprocess];
  const sizeText = meta[k.inputSize];
  let preprocess: PreprocessSpec;
  if (prepText !== undefined) {
    const parsed = PreprocessSpecSchema.safeParse(parseJson(k.preprocess, prepText));
    if (!parsed.success) {
      throw new HeadstartError('MODEL_INVALID', `ONNX metadata "${k.preprocess}" is not a valid PreprocessSpec: ${parsed.error.message}`);
    }
    preprocess = parsed.data;
  } else if (sizeText !== undefined) {
    preprocess = preprocessSpecFor('none', parseInputSize(sizeText));
  } else {
    throw new HeadstartError(
      'MODEL_INVALID',
      `This ONNX file has no "${k.preprocess}" or "${k.inputSize}" metadata; export it with \`headstart export\` so the input size and preprocessing travel with it.`,
    );
  }
  const inputSize: [number, number] = sizeText !== undefined ? parseInputSize(sizeText) : preprocess.size;
  let labels: string[];
  const labelText = meta[k.labels];
  if (labelText !== undefined) {
    const raw = parseJson(k.labels, labelText);
    if (!Array.isArray(raw) || !raw.every((l): l is string => typeof l === 'string')) {
      throw new HeadstartError('MODEL_INVALID', `ONNX metadata "${k.labels}" must be a JSON array of strings.`);
    }
    labels = raw;
  } else {
    labels = Array.from({ length: classes ?? 0 }, (_, i) => `class ${i}`);
  }
  const unknownText = meta[k.unknownBelow];
  if (unknownText === undefined) return { labels, preprocess, inputSize };
  const below = UnknownThresholdSchema.safeParse(Number(unknownText));
  if (!below.success) throw new HeadstartError('MODEL_INVALID', `ONNX metadata "${k.unknownBelow}" must be a number between 0 and 1 (exclusive), got "${unknownText.slice(0, 40)}".`);
  return { labels, preprocess, inputSize, unknownBelow: below.data };
}

/** ModelProto.metadata_props is field 14 (repeated StringStringEntryProto { key = 1; value = 2; }). */
const METADATA_PROPS_FIELD = 14;

/**
 * Reads ONNX `metadata_props` into a plain record (later duplicates win) with protobufjs's wire
 * reader; the graph and weights are skipped by length, so this is cheap on big files.
 * Throws MODEL_INVALID on malformed bytes.
 */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const top = protobuf.Reader.create(bytes);
  try {
    while (top.pos < top.len) {
      const tag = top.uint32();
      if (tag >>> 3 === METADATA_PROPS_FIELD && (tag & 7) === 2) {
        const entry = protobuf.Reader.create(top.bytes());
        let key = '';
        let value = '';
        while (entry.pos < entry.len) {
          const t = entry.uint32();
          if (t === ((1 << 3) | 2)) key = entry.string();
          else if (t === ((2 << 3) | 2)) value = entry.string();
          else entry.skipType(t & 7);
        }
        out[key] = value;
      } else {
        top.skipType(tag & 7);
      }
    }
  } catch (cause) {
    if (cause instanceof HeadstartError) throw cause;
    throw new HeadstartError('MODEL_INVALID', `Not a valid ONNX model file: ${(cause as Error).message} at byte ${top.pos}.`, { cause, details: { offset: top.pos } });
  }
  return out;
}
