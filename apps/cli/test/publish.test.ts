import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/main.ts';
import { defaultModelName } from '../src/commands/publish.ts';
import { captureIo } from './fakes.ts';

const run = async (...args: string[]) => {
  const io = captureIo();
  const code = await main(['node', 'headstart', ...args], io);
  return { code, out: io.out(), err: io.err() };
};

function makeRun(withOnnx: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'headstart-publish-'));
  const runDir = join(dir, 'my run.v2');
  mkdirSync(runDir);
  if (withOnnx) writeFileSync(join(runDir, 'model.onnx'), 'onnx-bytes');
  writeFileSync(join(runDir, 'headstart.json'), '{"name":"x"}');
  writeFileSync(join(runDir, 'report.json'), '{"accuracy":0.5}');
  return runDir;
}

describe('headstart publish', () => {
  it('copies an exported run into the next free version, atomically', async () => {
    const runDir = makeRun(true);
    const models = join(runDir, '..', 'models');
    const first = await run('publish', runDir, '--models', models, '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.out)).toMatchObject({ name: 'my-run-v2', version: 1 });
    expect(readFileSync(join(models, 'my-run-v2', '1', 'model.onnx'), 'utf8')).toBe('onnx-bytes');
    expect(existsSync(join(models, 'my-run-v2', '1', 'report.json'))).toBe(true);
    expect(existsSync(join(models, 'my-run-v2', '1', 'history.jsonl'))).toBe(false);
    const second = await run('publish', runDir, '--models', models, '--name', 'fashion');
    expect(second.out).toContain('published fashion v1');
    const third = await run('publish', runDir, '--models', models, '--name', 'fashion');
    expect(third.out).toContain('published fashion v2');
    expect(readdirSync(join(models, 'fashion')).sort()).toEqual(['1', '2']); // no staging folder left
  });

  it('refuses a run without model.onnx, a bad name and an existing version', async () => {
    const runDir = makeRun(false);
    const models = join(runDir, '..', 'models');
    const noOnnx = await run('publish', runDir, '--models', models);
    expect(noOnnx.code).toBe(2);
    expect(noOnnx.err).toContain('headstart export');
    writeFileSync(join(runDir, 'model.onnx'), 'x');
    const badName = await run('publish', runDir, '--models', models, '--name', '../evil');
    expect(badName.code).toBe(1);
    expect(badName.err).toContain('must match');
    expect((await run('publish', runDir, '--models', models, '--version', '3')).code).toBe(0);
    const again = await run('publish', runDir, '--models', models, '--version', '3');
    expect(again.code).toBe(1);
    expect(again.err).toContain('already exists');
  });

  it('derives a registry-safe default name', () => {
    expect(defaultModelName('/x/runs/demo')).toBe('demo');
    expect(defaultModelName('/x/runs/été 2026!')).toBe('t-2026');
    expect(defaultModelName('/x/!!!')).toBe('model');
  });
});
