/**
 * File-system faults end a command with exit 2 and one line, and leave nothing behind
 * (issue 18.7, 18.8). Read-only and full disks are injected: `node:fs/promises` is wrapped so
 * writes under a chosen folder fail with the errno a real EROFS / ENOSPC file system gives.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeTinyDataset } from './tiny-dataset.ts';

/** Writes to paths starting with `under` fail with `code` while set. */
const fault = vi.hoisted(() => ({ current: undefined as { under: string; code: string } | undefined }));
vi.mock('node:fs/promises', async (orig) => {
  const real = await orig<typeof import('node:fs/promises')>();
  type Write = (path: unknown, ...rest: unknown[]) => Promise<unknown>;
  const failing = (fn: Write, createsFile: boolean): Write => (path, ...rest) => {
    const f = fault.current;
    if (!f || typeof path !== 'string' || !path.startsWith(f.under)) return fn(path, ...rest);
    const error = Object.assign(new Error(`${f.code}: injected, open '${path}'`), { code: f.code, path });
    // A full disk still creates the file, empty; a read-only or forbidden folder does not.
    const created = createsFile && f.code === 'ENOSPC' ? real.writeFile(path, '') : Promise.resolve();
    return created.then(() => Promise.reject(error));
  };
  const wrapped = {
    ...real,
    writeFile: failing(real.writeFile as Write, true) as unknown as typeof real.writeFile,
    open: failing(real.open as Write, false) as unknown as typeof real.open,
    appendFile: failing(real.appendFile as Write, true) as unknown as typeof real.appendFile,
  };
  return { ...wrapped, default: wrapped };
});
const { runCli } = await import('./fakes.ts');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hs-fs-faults-'));
  await writeTinyDataset(join(tmp, 'data'), 3, 16);
});
afterEach(() => {
  fault.current = undefined;
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const lines = (text: string): string[] => text.trimEnd().split('\n');

describe('headstart train on a file-system fault', () => {
  it('a symlink loop in the dataset: exit 2, one line naming the link, no run folder content', async () => {
    const data = join(tmp, 'loop');
    await writeTinyDataset(data, 2, 8);
    await symlink('..', join(data, 'red', 'back'));
    const out = join(tmp, 'runs', 'loop');
    const r = await runCli('train', data, '--out', out, '--plain');
    expect(r.code).toBe(2);
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toMatch(/symlink loop: .*back leads back to /);
    expect(await readdir(out).catch(() => [])).toEqual([]);
    const check = await runCli('check', data);
    expect(check.code).toBe(2);
    expect(check.out).toMatch(/✘ not usable: symlink loop: /);
  });

  for (const [code, says] of [
    ['EROFS', 'the file system is read-only'],
    ['ENOSPC', 'no space left on the device'],
    ['EACCES', 'permission denied'],
  ] as const) {
    it(`an --out that fails with ${code}: exit 2 before any work, one line saying why, nothing left in the folder`, async () => {
      const out = join(tmp, 'runs', code);
      await mkdir(out, { recursive: true });
      fault.current = { under: out, code };
      const r = await runCli('train', join(tmp, 'data'), '--out', out, '--plain');
      expect(r.code).toBe(2);
      expect(lines(r.err)).toHaveLength(1);
      expect(r.err.startsWith(`error [IO]: cannot write to the output folder ${out}: ${says}`)).toBe(true);
      expect(r.err.trimEnd().endsWith(`(${code})`)).toBe(true);
      expect(r.out).toBe('');
      fault.current = undefined;
      expect(await readdir(out)).toEqual([]);
    });
  }
});

/** Mounts a tmpfs at `dir` with `options`; false where this user or machine cannot. */
function tryMount(dir: string, options: string): boolean {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const mounts = join(tmpdir(), `hs-fs-faults-mnt-${process.pid}`);
const readOnly = join(mounts, 'ro');
const full = join(mounts, 'full');
const mounted = process.getuid?.() === 0 ? [tryMount(readOnly, 'size=1m,ro') && readOnly, tryMount(full, 'size=64k') && full].filter((d): d is string => Boolean(d)) : [];

describe('headstart train on real tmpfs mounts', () => {
  afterAll(async () => {
    for (const dir of mounted) execFileSync('umount', [dir], { stdio: 'ignore' });
    await rm(mounts, { recursive: true, force: true });
  });

  it.skipIf(!mounted.includes(readOnly))('a read-only --out (runs only as root where mount works): exit 2, one line naming EROFS', async () => {
    const out = join(readOnly, 'run');
    const r = await runCli('train', join(tmp, 'data'), '--out', out, '--plain');
    expect(r.code).toBe(2);
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toMatch(/^error \[IO\]: cannot write to the output folder .*: the file system is read-only; .*\(EROFS\)$/m);
    expect(await readdir(readOnly)).toEqual([]);
  });

  it.skipIf(!mounted.includes(full))('a full disk under --out (runs only as root where mount works): exit 2, one line naming ENOSPC, no probe left', async () => {
    try {
      writeFileSync(join(full, 'filler'), Buffer.alloc(128 * 1024));
    } catch (e) {
      expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    const out = join(full, 'run');
    const r = await runCli('train', join(tmp, 'data'), '--out', out, '--plain');
    expect(r.code).toBe(2);
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toMatch(/^error \[IO\]: cannot write to the output folder .*: no space left on the device; .*\(ENOSPC\)$/m);
    expect(await readdir(out).catch(() => [])).toEqual([]);
  });
});
