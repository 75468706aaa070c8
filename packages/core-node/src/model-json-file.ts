/** Reading and writing TF.js layers models on disk (`model.json` + weight shards); the format itself is core's `formats/tfjs-model`. */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HeadstartError, concatBytes, modelJsonDocument, parseModelJson, type ModelJson, type WeightSpec } from '@headstart/core';
import { writeFileAtomic } from './atomic.ts';

/** A model.json read from disk with its weight shards concatenated in manifest order. */
export interface ModelJsonFile {
  json: ModelJson;
  /** Fresh bytes (offset 0, its own buffer). */
  weightData: Uint8Array;
}

/** Reads `model.json` and every weight shard it names (MODEL_NOT_FOUND when the JSON is missing, MODEL_INVALID otherwise). */
export async function readModelJsonFile(modelJsonPath: string): Promise<ModelJsonFile> {
  let text: string;
  try {
    text = await readFile(modelJsonPath, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'MODEL_NOT_FOUND' : 'MODEL_INVALID';
    throw new HeadstartError(code, `Cannot read TF.js layers model ${modelJsonPath}: ${(cause as Error).message}`, { cause });
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

/** Writes `dir/weights.bin` then `dir/model.json` (the file that names it), each atomically. */
export async function writeModelJsonFiles(dir: string, modelTopology: unknown, weightSpecs: WeightSpec[], weightData: Uint8Array, generatedBy: string): Promise<void> {
  await writeFileAtomic(join(dir, 'weights.bin'), weightData);
  await writeFileAtomic(join(dir, 'model.json'), JSON.stringify(modelJsonDocument(modelTopology, weightSpecs, ['weights.bin'], generatedBy)));
}
