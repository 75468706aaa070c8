/** Test helpers: hand-written TF.js layers models and the run manifest around them, as the trainer writes them. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunManifestSchema, type RunManifest } from '@headstart/core';

/** One Keras layer as model.json spells it. */
export interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
}

/** Writes a Sequential TF.js layers model (`model.json` + `weights.bin`) into `dir`; returns the model.json path. */
export function writeLayersModel(dir: string, name: string, layers: LayerJson[], weights: { name: string; shape: number[] }[], values: Float32Array): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'weights.bin'), new Uint8Array(values.buffer));
  const specs = weights.map((w) => ({ ...w, dtype: 'float32' }));
  const json = { format: 'layers-model', modelTopology: { class_name: 'Sequential', config: { name, layers } }, weightsManifest: [{ paths: ['weights.bin'], weights: specs }] };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  return join(dir, 'model.json');
}

/** The run's own fields; the rest is a one-epoch head-only schedule on a tiny dataset, labels x/y/z. */
export interface RunFields {
  name: string;
  base: Record<string, unknown>;
  preprocess: Record<string, unknown>;
}

/** Writes a complete run's `headstart.json` (validated by the manifest schema) into `dir`. */
export function writeRunManifest(dir: string, run: RunFields): RunManifest {
  const manifest = RunManifestSchema.parse({
    format: 'headstart-run@1',
    name: run.name,
    createdAt: new Date(0).toISOString(),
    status: 'complete',
    base: run.base,
    preprocess: run.preprocess,
    head: { kind: 'dense' },
    schedule: { phase1: { epochs: 1, learningRate: 1e-3 }, phase2: { epochs: 0, learningRate: 1e-5, unfreeze: { kind: 'none' } } },
    labels: ['x', 'y', 'z'],
    dataset: { path: '/d', fingerprint: 'f', counts: { train: 1, val: 1, test: 0 } },
    backend: 'cpu',
    versions: {},
  });
  writeFileSync(join(dir, 'headstart.json'), JSON.stringify(manifest));
  return manifest;
}
