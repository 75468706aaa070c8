import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, type PreprocessSpec } from '@headstart/core';
import { exportRun } from '@headstart/exporter';
import { buildScratchCnn, saveLayersModel, selectBackend, train } from '@headstart/trainer';
import { writeTinyDataset } from './tiny-dataset.ts';
import { runCli } from './fakes.ts';

let dir: string;
let runDir: string;
let image: string;

/** A tiny real run: a small conv "base" (the scratch CNN's layers, saved as a model.json) + a GAP head, 2 epochs. */
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'headstart-cli-explain-'));
  await writeTinyDataset(join(dir, 'data'), 6, 16);
  await selectBackend('cpu');
  await saveLayersModel(buildScratchCnn([16, 16], createRng(5)), join(dir, 'base'));
  runDir = join(dir, 'run');
  await train({
    data: join(dir, 'data'),
    out: runDir,
    base: join(dir, 'base', 'model.json'),
    preprocess: 'tf',
    backend: 'cpu',
    schedule: { phase1: { epochs: 2, batchSize: 8 }, phase2: { epochs: 0 }, seed: 3 },
  });
  await exportRun(runDir);
  image = join(dir, 'data', 'red', '0.png');
}, 120_000);

/** Decoded RGB of a PNG and its size. */
async function pixelsOf(png: string): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

describe('headstart explain', () => {
  it('writes a Grad-CAM overlay PNG from a run folder (TF.js) and from its model.onnx (cam output), agreeing', async () => {
    const fromRun = join(dir, 'heat-run.png');
    const a = await runCli('explain', runDir, image, '-o', fromRun, '--json');
    expect(a.code, a.err).toBe(0);
    const ja = JSON.parse(a.out) as { label: string; source: string; heatMap: { height: number; width: number }; size: number[] };
    expect(['red', 'green', 'blue']).toContain(ja.label);
    expect(ja.source).toBe('TF.js layer scratch_features');
    expect(ja.heatMap).toEqual({ height: 4, width: 4 });
    const heat = await pixelsOf(fromRun);
    // 16×16 model input, enlarged to at least 224 px.
    expect(heat.width).toBeGreaterThanOrEqual(224);
    const seen = await sharp(await readFile(image)).resize(heat.width, heat.height, { kernel: 'nearest' }).removeAlpha().raw().toBuffer();
    let differs = 0;
    for (let i = 0; i < seen.length; i++) if (Math.abs(seen[i]! - heat.data[i]!) > 8) differs++;
    expect(differs / seen.length).toBeGreaterThan(0.3);

    const fromOnnx = join(dir, 'heat-onnx.png');
    const b = await runCli('explain', join(runDir, 'model.onnx'), image, '-o', fromOnnx, '--label', 'blue');
    expect(b.code, b.err).toBe(0);
    expect(b.out).toMatch(/heat-onnx\.png: Grad-CAM for blue \d+\.\d%.*ONNX output cam/);
    const c = await runCli('explain', runDir, image, '-o', join(dir, 'heat-run-blue.png'), '--label', 'blue');
    expect(c.code, c.err).toBe(0);
    // Same map (TF.js gradients vs the exported closed form), up to colour rounding.
    const p = await pixelsOf(fromOnnx);
    const q = await pixelsOf(join(dir, 'heat-run-blue.png'));
    let maxDiff = 0;
    for (let i = 0; i < p.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(p.data[i]! - q.data[i]!));
    expect(maxDiff).toBeLessThanOrEqual(3);
  });

  it('says what to pass when the .onnx has no Grad-CAM output, and refuses unknown labels', async () => {
    const old = join(dir, 'old.onnx');
    const { exportLayersModel } = await import('@headstart/exporter');
    const manifest = JSON.parse(await readFile(join(runDir, 'headstart.json'), 'utf8')) as { preprocess: PreprocessSpec; labels: string[] };
    await exportLayersModel(join(runDir, 'model', 'model.json'), { out: old, preprocess: manifest.preprocess, labels: manifest.labels, cam: false });
    const r = await runCli('explain', old, image, '-o', join(dir, 'x.png'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('EXPLAIN_UNAVAILABLE');
    expect(r.err).toContain('pass the run folder');
    const bad = await runCli('explain', runDir, image, '--label', 'purple');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('its labels are blue, green, red');
  });
});
