/**
 * Reads the Keras layers models bundled in the `nsfwjs` npm package. Each model ships as
 * browserify-wrapped JS: `model.min.js` exports the model.json object and every
 * `group1-shardNofM.min.js` exports one weight shard as a base64 string (uint8-quantised
 * weights; tfjs dequantises them with the manifest's min/scale on load).
 */
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { concatBytes, HeadstartError, parseModelJson, type ModelJson } from '@headstart/core';

const require = createRequire(import.meta.url);

/** Directory holding nsfwjs's bundled model folders. */
export function nsfwjsModelsDir(): string {
  // The package's `exports` hide dist/models, so resolve its CommonJS entry and walk over.
  return resolve(dirname(require.resolve('nsfwjs')), '../models');
}

/** Version of the installed nsfwjs package (for provenance). */
export function nsfwjsVersion(): string {
  const pkg = require(resolve(nsfwjsModelsDir(), '../../package.json')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/** Loads one bundled model (`mobilenet_v2`, `inception_v3`) as model.json plus concatenated weight bytes. */
export function readNsfwjsModel(folder: string): { json: ModelJson; weightData: Uint8Array } {
  const dir = resolve(nsfwjsModelsDir(), folder);
  let jsonObj: unknown;
  try {
    jsonObj = require(resolve(dir, 'model.min.js'));
  } catch (cause) {
    throw new HeadstartError('BASE_UNREACHABLE', `The nsfwjs package's bundled model ${dir}/model.min.js cannot be loaded; is nsfwjs installed?`, { cause });
  }
  const json = parseModelJson(jsonObj, `${dir}/model.min.js`);
  const parts: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      const shard: unknown = require(resolve(dir, `${p}.min.js`));
      if (typeof shard !== 'string') throw new HeadstartError('MODEL_INVALID', `${dir}/${p}.min.js does not export a base64 weight shard`);
      parts.push(new Uint8Array(Buffer.from(shard, 'base64')));
    }
  }
  return { json, weightData: concatBytes(parts) };
}
