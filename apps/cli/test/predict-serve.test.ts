import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTinyClassifierOnnx } from '@headstart/inference/testing';
import { makeRegisterServe } from '../src/commands/serve.ts';
import { defaultPorts } from '../src/ports.ts';
import { captureIo, runCli } from './fakes.ts';

const LABELS = ['red', 'green', 'blue'];
let dir: string;
let modelPath: string;
let redPng: string;
let bluePng: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'headstart-cli-predict-'));
  mkdirSync(join(dir, 'run'));
  modelPath = join(dir, 'run', 'model.onnx');
  writeFileSync(modelPath, buildTinyClassifierOnnx({ labels: LABELS, size: [8, 8] }));
  redPng = join(dir, 'red.png');
  bluePng = join(dir, 'blue.jpg');
  writeFileSync(redPng, await sharp({ create: { width: 20, height: 10, channels: 3, background: { r: 240, g: 10, b: 10 } } }).png().toBuffer());
  writeFileSync(bluePng, await sharp({ create: { width: 20, height: 10, channels: 3, background: { r: 10, g: 10, b: 240 } } }).jpeg().toBuffer());
  writeFileSync(join(dir, 'bad.png'), 'not an image');
});

const run = runCli;

describe('headstart predict', () => {
  it('classifies images with a model file or a run directory (plain lines; the provider note only when a provider is asked for)', async () => {
    const r = await run('predict', join(dir, 'run'), redPng, bluePng, '--topk', '2');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/red\.png {2}red \d+\.\d% {2}\w+ \d+\.\d%$/);
    expect(lines[1]).toMatch(/blue\.jpg {2}blue /);
    expect(r.err).toBe('');
    const asked = await run('predict', join(dir, 'run'), redPng, '--provider', 'cpu');
    expect(asked.err).toContain('execution provider cpu');
  });

  it('--json prints one object with every result', async () => {
    const r = await run('predict', modelPath, redPng, '--json');
    expect(r.code).toBe(0);
    const body = JSON.parse(r.out) as { provider: string; labels: string[]; results: { predictions: { label: string; probability: number }[] }[] };
    expect(body.provider).toBe('cpu');
    expect(body.labels).toEqual(LABELS);
    expect(body.results[0]!.predictions).toHaveLength(3);
    expect(body.results[0]!.predictions[0]!.label).toBe('red');
  });

  it('exit 2 for an undecodable image or a missing model, 1 for usage errors', async () => {
    const bad = await run('predict', modelPath, redPng, join(dir, 'bad.png'));
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('red.png');
    expect(bad.err).toContain('IMAGE_UNDECODABLE');
    expect((await run('predict', join(dir, 'nothing.onnx'), redPng)).code).toBe(2);
    expect((await run('predict', dir, redPng)).code).toBe(2); // directory without model.onnx
    expect((await run('predict', modelPath)).code).toBe(1);
    expect((await run('predict', modelPath, redPng, '--topk', 'zero')).code).toBe(1);
  });
});

describe('headstart serve', () => {
  it('serves the registry until stopped, then exits 0', async () => {
    const models = join(dir, 'models');
    mkdirSync(join(models, 'colors', '1'), { recursive: true });
    writeFileSync(join(models, 'colors', '1', 'model.onnx'), buildTinyClassifierOnnx({ labels: LABELS, size: [8, 8] }));
    let stop: (s: string) => void = () => undefined;
    const stopped = new Promise<string>((resolve) => (stop = resolve));
    const io = captureIo();
    let code = -1;
    const program = new Command('headstart').exitOverride();
    makeRegisterServe(() => stopped)(program, io, (c) => (code = c), defaultPorts);
    const done = program.parseAsync(['node', 'headstart', 'serve', '--models', models, '--port', '0', '--threads', '1']);
    let url: string | undefined;
    for (let i = 0; i < 200 && url === undefined; i++) {
      await new Promise((r) => setTimeout(r, 25));
      url = io.out().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { url?: string }).find((l) => l.url)?.url;
    }
    expect(url).toBeDefined();
    const res = await fetch(`${url}/v1/models/colors/predict`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(await sharp(redPng).toBuffer()) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { predictions: { label: string }[] }).predictions[0]!.label).toBe('red');
    stop('SIGTERM');
    await done;
    expect(code).toBe(0);
    expect(io.out()).toContain('headstart API stopped');
  });

  it('refuses a bad flag value with a usage error naming the flag', async () => {
    const r = await run('serve', '--models', dir, '--port', 'eighty');
    expect(r.code).toBe(1);
    expect(r.err).toContain('--port');
  });
});
