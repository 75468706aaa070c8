/** Reading and writing a run's `headstart.json` and `history.jsonl`. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadstartError, RunManifestSchema, type RunManifest } from '@headstart/core';
import { readTextIfPresent, runWeightsSha256, writeFileAtomic } from '@headstart/core-node';
import type { EpochRecord } from '../train/fit-loop.ts';

/** Validates and atomically writes the manifest, recording the checksum of the weights on disk (model/weights.bin) with it. */
export async function writeManifest(runDir: string, manifest: RunManifest): Promise<void> {
  const sha256 = await runWeightsSha256(runDir);
  const { weights: _previous, ...rest } = manifest;
  const valid = RunManifestSchema.parse(sha256 === undefined ? rest : { ...rest, weights: { sha256 } });
  await writeFileAtomic(join(runDir, 'headstart.json'), `${JSON.stringify(valid, null, 2)}\n`);
}

/** Reads a run's manifest (RUN_NOT_FOUND / MANIFEST_INVALID). */
export async function readManifest(runDir: string): Promise<RunManifest> {
  let text: string;
  try {
    text = await readFile(join(runDir, 'headstart.json'), 'utf8');
  } catch (cause) {
    throw new HeadstartError('RUN_NOT_FOUND', `${runDir} is not a Headstart run directory (no headstart.json)`, { cause, details: { runDir } });
  }
  const parsed = RunManifestSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new HeadstartError('MANIFEST_INVALID', `${join(runDir, 'headstart.json')} is invalid: ${parsed.error.message}`, { cause: parsed.error });
  return parsed.data;
}

/** Atomically rewrites history.jsonl with one line per epoch. */
export async function writeHistory(runDir: string, records: EpochRecord[]): Promise<void> {
  await writeFileAtomic(join(runDir, 'history.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : ''));
}

/** Reads history.jsonl (empty when missing; a damaged file is an error). */
export async function readHistory(runDir: string): Promise<EpochRecord[]> {
  const text = await readTextIfPresent(join(runDir, 'history.jsonl'));
  return (text ?? '')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as EpochRecord);
}
