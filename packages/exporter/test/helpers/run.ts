import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunManifestSchema, type PreprocessSpec, type RunManifest } from '@headstart/core';
import type { ArtifactSource } from '@headstart/core';

/** Writes a TF.js layers artifact as model.json + weights.bin (what model.save('file://') writes). */
export function writeModelDir(dir: string, a: ArtifactSource): string {
  mkdirSync(dir, { recursive: true });
  const data = a.weightData instanceof Uint8Array ? a.weightData : new Uint8Array(a.weightData as ArrayBuffer);
  writeFileSync(join(dir, 'weights.bin'), data);
  const json = { format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  return join(dir, 'model.json');
}

/** Writes a minimal complete run directory (headstart.json + model/) as the trainer would. */
export function writeRun(runDir: string, a: ArtifactSource, preprocess: PreprocessSpec, labels: string[]): RunManifest {
  writeModelDir(join(runDir, 'model'), a);
  const manifest = RunManifestSchema.parse({
    format: 'headstart-run@1',
    name: 'tiny-run',
    createdAt: new Date(0).toISOString(),
    status: 'complete',
    base: { id: 'test', source: 'test', provenance: 'randomly initialised', cut: 'conv', inputSize: preprocess.size },
    preprocess,
    head: { kind: 'dense' },
    schedule: { phase1: { epochs: 1, learningRate: 1e-3 }, phase2: { epochs: 0, learningRate: 1e-5, unfreeze: { kind: 'none' } } },
    labels,
    dataset: { path: '/data', fingerprint: 'x', counts: { train: 1, val: 1, test: 0 } },
    backend: 'cpu',
    versions: {},
  });
  writeFileSync(join(runDir, 'headstart.json'), JSON.stringify(manifest, null, 2));
  return manifest;
}
