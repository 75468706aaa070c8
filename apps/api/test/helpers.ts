import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll } from 'vitest';
import { buildTinyClassifierOnnx, type TinyClassifierOptions } from '@headstart/inference/testing';
import { buildApp, type ApiConfigInput, type HeadstartApp } from '../src/index.ts';

export const LABELS = ['red', 'green', 'blue'];

/** Writes models/<name>/<version>/model.onnx (+ headstart.json) into `root`. */
export function writeModel(root: string, name: string, version: number, opts: Partial<TinyClassifierOptions> = {}): string {
  const dir = join(root, name, String(version));
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'model.onnx');
  writeFileSync(path, buildTinyClassifierOnnx({ labels: LABELS, size: [8, 8], ...opts }));
  writeFileSync(
    join(dir, 'headstart.json'),
    JSON.stringify({ name, createdAt: '2026-01-01T00:00:00Z', base: { id: 'tiny', source: '/home/me/secret/base', cut: 'x' }, metrics: { val_acc: 0.9 }, dataset: { path: '/home/me/secret/data', counts: { train: 6, val: 2, test: 2 } } }),
  );
  return path;
}

/** A temporary registry with `colors` v1 and v2 (v2 has swapped red/blue weights) and `tall` (12×6, cover resize). */
export function makeRegistry(): string {
  const root = mkdtempSync(join(tmpdir(), 'headstart-api-'));
  writeModel(root, 'colors', 1);
  writeModel(root, 'colors', 2, { weights: [-2, -2, 8, -2, 8, -2, 8, -2, -2] });
  writeModel(root, 'tall', 1, { size: [12, 6], preprocess: { resize: 'cover' } });
  return root;
}

/** A solid-colour image in the given format. */
export function solid(rgb: [number, number, number], format: 'png' | 'jpeg' | 'webp' = 'png', w = 32, h = 24): Promise<Buffer> {
  return sharp({ create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .toFormat(format)
    .toBuffer();
}

/** A gradient image (non-trivial pixels for parity checks). */
export function gradient(w = 50, h = 30): Promise<Buffer> {
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      raw[i] = Math.round((x / w) * 255);
      raw[i + 1] = Math.round((y / h) * 255);
      raw[i + 2] = (x * 7 + y * 13) % 256;
    }
  }
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
}

/**
 * One registry (`makeRegistry`) for the calling test file and a factory of apps serving it, each with
 * `defaults` and then its own settings; every app is closed after the file's tests.
 */
export function registryApps(defaults: Partial<ApiConfigInput> = {}): { appWith: (input?: Partial<ApiConfigInput>) => Promise<HeadstartApp>; root: () => string } {
  const apps: HeadstartApp[] = [];
  let root = '';
  beforeAll(() => {
    root = makeRegistry();
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
  });
  const appWith = async (input: Partial<ApiConfigInput> = {}): Promise<HeadstartApp> => {
    const app = buildApp({ modelsDir: root, pollMs: 0, threads: 1, ...defaults, ...input });
    apps.push(app);
    await app.ready;
    return app;
  };
  return { appWith, root: () => root };
}
