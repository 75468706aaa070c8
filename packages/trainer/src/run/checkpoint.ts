/**
 * Checkpoints in `runDir/checkpoint/`: each save goes to a fresh generation folder
 * (weights, optimizer state, best weights, JSON state), then `latest.json` is atomically
 * pointed at it and older generations are removed. A crash at any point leaves the
 * previous complete checkpoint.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fsErrorMessage, HeadstartError } from '@headstart/core';
import { writeFileAtomic } from '@headstart/core/node';
import { tfc } from '../tf.ts';
import type { NamedTensors } from '../train/optimizer.ts';

/** Serialisable training position and history (the JSON half of a checkpoint). */
export interface CheckpointState {
  version: 1;
  [key: string]: unknown;
}

/** A loaded checkpoint. */
export interface LoadedCheckpoint<S> {
  state: S;
  weights: Float32Array[];
  optimizer: NamedTensors;
  best?: Float32Array[];
}

async function writeTensors(path: string, named: { name: string; tensor: tfc.Tensor }[]): Promise<void> {
  const { data, specs } = await tfc.io.encodeWeights(named);
  await writeFile(`${path}.bin`, new Uint8Array(data));
  await writeFile(`${path}.json`, JSON.stringify(specs));
}

async function readTensors(path: string): Promise<NamedTensors> {
  const specs = JSON.parse(await readFile(`${path}.json`, 'utf8')) as tfc.io.WeightsManifestEntry[];
  const buf = await readFile(`${path}.bin`);
  const map = tfc.io.decodeWeights(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), specs);
  return specs.map((s) => ({ name: s.name, tensor: map[s.name] as tfc.Tensor }));
}

function arrays(named: NamedTensors): Float32Array[] {
  const out = named.map((n) => new Float32Array(n.tensor.dataSync() as Float32Array));
  named.forEach((n) => n.tensor.dispose());
  return out;
}

/** Saves a checkpoint generation and points `latest.json` at it. */
export async function saveCheckpoint(
  runDir: string,
  state: CheckpointState,
  weights: { name: string; tensor: tfc.Tensor }[],
  optimizer: NamedTensors,
  best: Float32Array[] | undefined,
  bestShapes: number[][],
): Promise<string> {
  const root = join(runDir, 'checkpoint');
  const gen = `gen-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const dir = join(root, gen);
  try {
    await mkdir(dir, { recursive: true });
    await writeTensors(join(dir, 'weights'), weights);
    await writeTensors(join(dir, 'optimizer'), optimizer);
    if (best) {
      const named = best.map((b, i) => ({ name: `w${i}`, tensor: tfc.tensor(b, bestShapes[i]) }));
      try {
        await writeTensors(join(dir, 'best'), named);
      } finally {
        named.forEach((n) => n.tensor.dispose());
      }
    }
    await writeFile(join(dir, 'state.json'), JSON.stringify(state));
    await writeFileAtomic(join(root, 'latest.json'), JSON.stringify({ generation: gen, savedAt: new Date().toISOString() }));
  } catch (e) {
    // No partial generation: the previous complete checkpoint stays the latest.
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw new HeadstartError('IO', fsErrorMessage(e, `cannot save a checkpoint in ${root}`), { cause: e, details: { path: root } });
  }
  for (const name of await readdir(root)) {
    if (name.startsWith('gen-') && name !== gen) await rm(join(root, name), { recursive: true, force: true });
  }
  return dir;
}

/** Loads the latest checkpoint of a run, or undefined when there is none. */
export async function loadCheckpoint<S>(runDir: string): Promise<LoadedCheckpoint<S> | undefined> {
  const root = join(runDir, 'checkpoint');
  let latest: { generation: string };
  try {
    latest = JSON.parse(await readFile(join(root, 'latest.json'), 'utf8')) as { generation: string };
  } catch {
    return undefined;
  }
  const dir = join(root, latest.generation);
  try {
    const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as S;
    const weights = arrays(await readTensors(join(dir, 'weights')));
    const optimizer = await readTensors(join(dir, 'optimizer'));
    const best = await readTensors(join(dir, 'best')).then(arrays, () => undefined);
    return { state, weights, optimizer, ...(best ? { best } : {}) };
  } catch (cause) {
    throw new HeadstartError('CHECKPOINT_INVALID', `Checkpoint ${dir} is unreadable: ${(cause as Error).message}`, { cause });
  }
}

/** Removes the checkpoint folder (after a run completes). */
export async function removeCheckpoint(runDir: string): Promise<void> {
  await rm(join(runDir, 'checkpoint'), { recursive: true, force: true });
}
