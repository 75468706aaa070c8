/**
 * A full disk during a checkpoint (issue 18.8), injected: `node:fs/promises` is wrapped so that
 * chosen writes fail with ENOSPC, as on a full file system. The save fails with one IO line,
 * the previous checkpoint stays the latest and loads, and no partial generation or temp file
 * is left.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { isHeadstartError } from '@headstart/core';
import { tfc } from '../src/tf.ts';

/** Writes whose path matches fail with `code` while set. */
const fault = vi.hoisted(() => ({ current: undefined as { match: RegExp; code: string } | undefined }));
vi.mock('node:fs/promises', async (orig) => {
  const real = await orig<typeof import('node:fs/promises')>();
  const writeFile = ((path: unknown, ...rest: unknown[]) => {
    const f = fault.current;
    if (f && typeof path === 'string' && f.match.test(path)) {
      // The disk fills up mid-write: half the bytes land, then the write fails.
      const data = rest[0] as string | Uint8Array;
      return (real.writeFile as (...a: unknown[]) => Promise<void>)(path, data.slice(0, data.length >> 1)).then(() => {
        throw Object.assign(new Error(`${f.code}: injected, write '${path}'`), { code: f.code, path });
      });
    }
    return (real.writeFile as (...a: unknown[]) => Promise<void>)(path, ...rest);
  }) as typeof real.writeFile;
  const wrapped = { ...real, writeFile };
  return { ...wrapped, default: wrapped };
});
const { loadCheckpoint, saveCheckpoint } = await import('../src/run/checkpoint.ts');

const dirs: string[] = [];
afterEach(() => {
  fault.current = undefined;
});
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function save(runDir: string, epoch: number): Promise<string> {
  const w = [{ name: 'w0', tensor: tfc.tensor([epoch, epoch + 1], [2]) }];
  const opt = [{ name: 'm0', tensor: tfc.tensor([epoch], [1]) }];
  try {
    return await saveCheckpoint(runDir, { version: 1, epoch }, w, opt, [new Float32Array([epoch, 0])], [[2]]);
  } finally {
    [...w, ...opt].forEach((n) => n.tensor.dispose());
  }
}

describe('saveCheckpoint on a full disk', () => {
  // Each write of a save in turn: tensors, state, and the index's temp file.
  for (const [where, match] of [
    ['the weights', /weights\.bin$/],
    ['the optimizer state', /optimizer\.json$/],
    ['the best weights', /best\.bin$/],
    ['the JSON state', /state\.json$/],
    ['the index temp file', /\.latest\.json\..*\.tmp$/],
  ] as const) {
    it(`ENOSPC writing ${where}: one IO line, the previous checkpoint stays the latest, nothing partial left`, async () => {
      const runDir = await mkdtemp(join(tmpdir(), 'hs-ckpt-full-'));
      dirs.push(runDir);
      const first = await save(runDir, 1);
      fault.current = { match, code: 'ENOSPC' };
      const err = await save(runDir, 2).then(() => undefined, (e: unknown) => e);
      fault.current = undefined;
      expect(isHeadstartError(err, 'IO')).toBe(true);
      const message = (err as Error).message;
      expect(message.split('\n')).toHaveLength(1);
      expect(message).toBe(`cannot save a checkpoint in ${join(runDir, 'checkpoint')}: no space left on the device; free some space or choose another disk (ENOSPC)`);
      expect((await readdir(join(runDir, 'checkpoint'))).sort()).toEqual([first.split('/').at(-1), 'latest.json']);
      const loaded = await loadCheckpoint<{ epoch: number }>(runDir);
      expect(loaded?.state.epoch).toBe(1);
      expect(Array.from(loaded?.weights[0] ?? [])).toEqual([1, 2]);
      loaded?.optimizer.forEach((n) => n.tensor.dispose());
    });
  }

  it('with room again, the next save succeeds and replaces the old generation', async () => {
    const runDir = await mkdtemp(join(tmpdir(), 'hs-ckpt-full-'));
    dirs.push(runDir);
    await save(runDir, 1);
    fault.current = { match: /state\.json$/, code: 'ENOSPC' };
    await expect(save(runDir, 2)).rejects.toMatchObject({ code: 'IO' });
    fault.current = undefined;
    const third = await save(runDir, 3);
    expect((await readdir(join(runDir, 'checkpoint'))).sort()).toEqual([third.split('/').at(-1), 'latest.json']);
    expect((await loadCheckpoint<{ epoch: number }>(runDir))?.state.epoch).toBe(3);
  });
});
