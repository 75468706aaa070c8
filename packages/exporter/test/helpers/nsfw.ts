import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ArtifactSource, WeightSpec } from '@headstart/core';

// TRAINER's base loader is not available to the exporter tests (and must not be imported across
// packages from tests), so this is a minimal decoder of the nsfwjs-bundled layers models:
// model.min.js exports {modelTopology, weightsManifest}; each shard module exports base64 text.
const require = createRequire(join(process.cwd(), '../trainer/package.json'));

/** The nsfwjs bundled base models that are TF.js layers models. */
export type NsfwBase = 'mobilenet_v2' | 'inception_v3';

/** Loads an nsfwjs bundled base as an in-memory artifact. */
export function loadNsfwBase(name: NsfwBase): ArtifactSource & { modelTopology: Record<string, unknown> } {
  const pkg = join(dirname(require.resolve('nsfwjs')), '..', '..');
  const dir = join(pkg, 'dist', 'models', name);
  const model = require(join(dir, 'model.min.js')) as {
    modelTopology: Record<string, unknown>;
    weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  };
  const specs: WeightSpec[] = [];
  const chunks: Buffer[] = [];
  for (const group of model.weightsManifest) {
    for (const p of group.paths) chunks.push(Buffer.from(require(join(dir, `${p}.min.js`)) as string, 'base64'));
    specs.push(...group.weights);
  }
  return { modelTopology: structuredClone(model.modelTopology), weightSpecs: specs, weightData: new Uint8Array(Buffer.concat(chunks)) };
}
