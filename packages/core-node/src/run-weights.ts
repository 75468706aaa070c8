import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadstartError, type RunManifest } from '@headstart/core';

/** Where a run keeps its trained weights, relative to the run folder. */
export const RUN_WEIGHTS_FILE = 'model/weights.bin';

/** sha256 (hex) of a run's weights file, or undefined when it has none yet. */
export async function runWeightsSha256(runDir: string): Promise<string | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(runDir, RUN_WEIGHTS_FILE));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new HeadstartError('IO', `cannot read ${join(runDir, RUN_WEIGHTS_FILE)}: ${(e as Error).message}`, { cause: e });
  }
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Checks a finished run's weights against the checksum its manifest recorded; a file changed
 * after training (even overwritten in place at the same size) is MODEL_INVALID. Runs whose
 * manifest has no checksum (older runs) pass.
 */
export async function verifyRunWeights(runDir: string, manifest: Pick<RunManifest, 'weights'>): Promise<void> {
  const recorded = manifest.weights?.sha256;
  if (recorded === undefined) return;
  const actual = await runWeightsSha256(runDir);
  if (actual !== recorded) {
    throw new HeadstartError(
      'MODEL_INVALID',
      `${join(runDir, RUN_WEIGHTS_FILE)} does not match the checksum in headstart.json (sha256 ${recorded.slice(0, 12)}… recorded, ${actual === undefined ? 'file missing' : `${actual.slice(0, 12)}… on disk`}): the weights changed after training; restore them or train again`,
      { details: { runDir, recorded, actual } },
    );
  }
}
