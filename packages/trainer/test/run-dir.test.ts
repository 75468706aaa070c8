import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isHeadstartError } from '@headstart/core';
import { prepareRunDir, removeStrayFiles } from '../src/run/run-dir.ts';

const temp = (): Promise<string> => mkdtemp(join(tmpdir(), 'hs-rundir-'));

async function fakeRun(dir: string): Promise<void> {
  await mkdir(join(dir, 'model'), { recursive: true });
  await writeFile(join(dir, 'headstart.json'), '{}');
  await writeFile(join(dir, 'model', 'model.json'), '{}');
  for (const f of ['model.onnx', 'report.json', 'report.html', 'report-holdout.html', 'history.jsonl', 'notes.txt']) await writeFile(join(dir, f), 'x');
}

const fails = async (p: Promise<unknown>, code: string): Promise<string> => {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(isHeadstartError(e) && e.code).toBe(code);
  return (e as Error).message;
};

describe('prepareRunDir', () => {
  it('creates a new folder and accepts an empty one', async () => {
    const root = await temp();
    await prepareRunDir(join(root, 'a', 'b'));
    expect(await readdir(join(root, 'a', 'b'))).toEqual([]);
    await prepareRunDir(join(root, 'a', 'b'));
  });

  it('refuses an existing run, naming --overwrite and --resume, and leaves it untouched', async () => {
    const dir = await temp();
    await fakeRun(dir);
    const msg = await fails(prepareRunDir(dir), 'RUN_EXISTS');
    expect(msg).toContain('--overwrite');
    expect(msg).toContain('--resume');
    expect((await readdir(dir)).sort()).toContain('model.onnx');
  });

  it('--overwrite removes every weight-dependent artifact and keeps unrelated files', async () => {
    const dir = await temp();
    await fakeRun(dir);
    await prepareRunDir(dir, { overwrite: true });
    expect(await readdir(dir)).toEqual(['notes.txt']);
  });

  it('--resume needs a run and removes stale exports and reports', async () => {
    const dir = await temp();
    await fails(prepareRunDir(dir, { resume: true }), 'RUN_NOT_FOUND');
    await fakeRun(dir);
    await prepareRunDir(dir, { resume: true });
    expect((await readdir(dir)).sort()).toEqual(['headstart.json', 'history.jsonl', 'model', 'notes.txt']);
    await fails(prepareRunDir(dir, { resume: true, overwrite: true }), 'USAGE');
  });

  it('refuses a non-empty folder that is not a run, and a file', async () => {
    const dir = await temp();
    await writeFile(join(dir, 'holiday.jpg'), 'x');
    expect(await fails(prepareRunDir(dir, { overwrite: true }), 'RUN_EXISTS')).toContain('holiday.jpg');
    expect(await fails(prepareRunDir(join(dir, 'holiday.jpg')), 'IO')).toContain('is a file');
  });

  it('an output path under a file is one IO line naming ENOTDIR', async () => {
    const dir = await temp();
    await writeFile(join(dir, 'f'), 'x');
    const msg = await fails(prepareRunDir(join(dir, 'f', 'run')), 'IO');
    expect(msg).toMatch(/ENOTDIR/);
    expect(msg.split('\n')).toHaveLength(1);
  });

  it('removes temp files and half-written checkpoint generations a kill -9 left behind', async () => {
    const dir = await temp();
    await mkdir(join(dir, 'checkpoint', 'gen-1'), { recursive: true });
    await mkdir(join(dir, 'checkpoint', 'gen-2'), { recursive: true });
    await writeFile(join(dir, 'checkpoint', 'latest.json'), JSON.stringify({ generation: 'gen-1' }));
    await writeFile(join(dir, '.headstart.json.1234.abcdef012345.tmp'), '{');
    await writeFile(join(dir, 'headstart.json'), '{}');
    const removed = await removeStrayFiles(dir);
    expect(removed.sort()).toEqual(['.headstart.json.1234.abcdef012345.tmp', join('checkpoint', 'gen-2')]);
    expect((await readdir(join(dir, 'checkpoint'))).sort()).toEqual(['gen-1', 'latest.json']);
  });
});
