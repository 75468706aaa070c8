import { HeadstartError, PreprocessSpecSchema, type PreprocessSpec } from '@headstart/core';

/** What a consumer needs from a Headstart ONNX file's metadata_props. */
export interface HeadstartModelInfo {
  labels: string[];
  preprocess: PreprocessSpec;
  inputSize: [number, number];
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
    throw new HeadstartError('MODEL_INVALID', `ONNX metadata "headstart.input_size" should be [height, width], got "${text}".`);
  }
  return [h, w];
}

/**
 * Reads labels, PreprocessSpec and input size from metadata_props. `classes` (the output width, when
 * known) fills in "class N" labels for files without `headstart.labels`.
 */
export function parseHeadstartMetadata(meta: Record<string, string>, classes?: number): HeadstartModelInfo {
  const prepText = meta['headstart.preprocess'];
  const sizeText = meta['headstart.input_size'];
  let preprocess: PreprocessSpec;
  if (prepText !== undefined) {
    const parsed = PreprocessSpecSchema.safeParse(parseJson('headstart.preprocess', prepText));
    if (!parsed.success) {
      throw new HeadstartError('MODEL_INVALID', `ONNX metadata "headstart.preprocess" is not a valid PreprocessSpec: ${parsed.error.message}`);
    }
    preprocess = parsed.data;
  } else if (sizeText !== undefined) {
    preprocess = PreprocessSpecSchema.parse({ size: parseInputSize(sizeText), mode: 'none' });
  } else {
    throw new HeadstartError(
      'MODEL_INVALID',
      'This ONNX file has no "headstart.preprocess" or "headstart.input_size" metadata; export it with `headstart export` so the input size and preprocessing travel with it.',
    );
  }
  const inputSize: [number, number] = sizeText !== undefined ? parseInputSize(sizeText) : preprocess.size;
  let labels: string[];
  const labelText = meta['headstart.labels'];
  if (labelText !== undefined) {
    const raw = parseJson('headstart.labels', labelText);
    if (!Array.isArray(raw) || !raw.every((l): l is string => typeof l === 'string')) {
      throw new HeadstartError('MODEL_INVALID', 'ONNX metadata "headstart.labels" must be a JSON array of strings.');
    }
    labels = raw;
  } else {
    labels = Array.from({ length: classes ?? 0 }, (_, i) => `class ${i}`);
  }
  return { labels, preprocess, inputSize };
}
