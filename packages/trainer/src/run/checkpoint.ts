/**
 * Checkpoints in `runDir/checkpoint/`: each save goes to a fresh generation folder
 * (weights, optimizer state, best weights, JSON state), then `latest.json` is atomically
 * pointed at it and older generations are removed. A crash at any point leaves the
 * previous complete checkpoint.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fsErrorMessage, HeadstartError } from '@headstart/core';
import { readBytesIfPresent, readTextIfPresent, writeFileAtomic } from '@headstart/core-node';
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

/** The tensors saved at `path` (.json specs + .bin data), or undefined when neither file exists. */
async function readTensors(path: string): Promise<NamedTensors | undefined> {
  const specsText = await readTextIfPresent(`${path}.json`);
  const buf = await readBytesIfPresent(`${path}.bin`);
  if (specsText === undefined && buf === undefined) return undefined;
  if (specsText === undefined || buf === undefined) throw new Error(`${path}.${specsText === undefined ? 'json' : 'bin'} is missing`);
  const specs = JSON.parse(specsText) as tfc.io.WeightsManifestEntry[];
  const map = tfc.io.decodeWeights(new Uint8Array(buf).buffer, specs);
  return specs.map((s) => ({ name: s.name, tensor: map[s.name] as tfc.Tensor }));
}

async function requireTensors(path: string): Promise<NamedTensors> {
  const t = await readTensors(path);
  if (!t) throw new Error(`${path}.json and ${path}.bin are missing`);
  return t;
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

/**
 * Loads the latest checkpoint of a run, or undefined when the run has none (no
 * `checkpoint/latest.json`). A present but unreadable index or generation is CHECKPOINT_INVALID:
 * never a silent restart from scratch.
 */
/**
 * The generation `checkpoint/latest.json` points at, or undefined when there is no index. A
 * present but damaged index is CHECKPOINT_INVALID (never read as "no checkpoint").
 */
export async function readCheckpointIndex(root: string): Promise<string | undefined> {
  const index = join(root, 'latest.json');
  const text = await readTextIfPresent(index);
  if (text === undefined) return undefined;
  let latest: { generation?: unknown };
  try {
    latest = JSON.parse(text) as { generation?: unknown };
  } catch (cause) {
    throw new HeadstartError('CHECKPOINT_INVALID', `Checkpoint index ${index} is corrupt (${(cause as Error).message}); remove ${root} to start the run over, or restore the file`, { cause, details: { path: index } });
  }
  if (typeof latest.generation !== 'string' || !latest.generation.startsWith('gen-')) {
    throw new HeadstartError('CHECKPOINT_INVALID', `Checkpoint index ${index} names no checkpoint generation; remove ${root} to start the run over, or restore the file`, { details: { path: index } });
  }
  return latest.generation;
}

export async function loadCheckpoint<S>(runDir: string): Promise<LoadedCheckpoint<S> | undefined> {
  const root = join(runDir, 'checkpoint');
  const generation = await readCheckpointIndex(root);
  if (generation === undefined) return undefined;
  const dir = join(root, generation);
  try {
    const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as S;
    const weights = arrays(await requireTensors(join(dir, 'weights')));
    const optimizer = await requireTensors(join(dir, 'optimizer'));
    const bestTensors = await readTensors(join(dir, 'best'));
    const best = bestTensors ? arrays(bestTensors) : undefined;
    return { state, weights, optimizer, ...(best ? { best } : {}) };
  } catch (cause) {
    throw new HeadstartError('CHECKPOINT_INVALID', `Checkpoint ${dir} is unreadable: ${(cause as Error).message}`, { cause, details: { path: dir } });
  }
}

/** Removes the checkpoint folder (after a run completes). */
export async function removeCheckpoint(runDir: string): Promise<void> {
  await rm(join(runDir, 'checkpoint'), { recursive: true, force: true });
}
