import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { averageViews, ttaViews } from '@headstart/core';
import { readPredictionOutput } from '@headstart/core-node';
import { createClassifier } from '@headstart/inference/node';
import { buildTinyClassifierOnnx } from '@headstart/inference/testing';
import { runCli } from './fakes.ts';

/** Confident on pure colours, near-uniform on grey; "unknown" below 0.6. */
const SHARP = [8, -2, -2, -2, 8, -2, -2, -2, 8];
let dir: string;
let model: string;
let images: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'headstart-cli-unknown-'));
  model = join(dir, 'model.onnx');
  writeFileSync(model, buildTinyClassifierOnnx({ labels: ['red', 'green', 'blue'], size: [8, 8], weights: SHARP, metadata: { 'headstart.unknown_below': '0.6' } }));
  images = join(dir, 'images');
  mkdirSync(images);
  const png = (r: number, g: number, b: number): Promise<Buffer> => sharp({ create: { width: 12, height: 12, channels: 3, background: { r, g, b } } }).png().toBuffer();
  writeFileSync(join(images, 'red.png'), await png(240, 10, 10));
  writeFileSync(join(images, 'grey.png'), await png(128, 128, 128));
});

describe('"unknown" in headstart predict', () => {
  it('plain lines and --json answer "unknown" below the threshold, the top label still shown', async () => {
    const r = await runCli('predict', model, join(images, 'red.png'), join(images, 'grey.png'), '--topk', '2');
    expect(r.code).toBe(0);
    const [red, grey] = r.out.trim().split('\n');
    expect(red).toMatch(/red\.png {2}red \d+\.\d%/);
    expect(grey).toMatch(/grey\.png {2}unknown \(below 60%\) {2}\w+ \d+\.\d% {2}\w+ \d+\.\d%$/);
    const json = JSON.parse((await runCli('predict', model, join(images, 'red.png'), join(images, 'grey.png'), '--json')).out) as {
      unknownBelow: number;
      results: { label: string; unknown: boolean; predictions: { label: string; probability: number }[] }[];
    };
    expect(json.unknownBelow).toBe(0.6);
    expect(json.results.map((x) => [x.label, x.unknown])).toEqual([['red', false], ['unknown', true]]);
    expect(json.results[1]!.predictions[0]!.probability).toBeLessThan(0.6);
  });

  it('bulk prediction writes the answer beside the top-k (CSV and JSON Lines)', async () => {
    for (const out of [join(dir, 'results.csv'), join(dir, 'results.jsonl')]) {
      const r = await runCli('predict', model, images, '--out', out, '--threads', '1');
      expect(r.code, r.err).toBe(0);
      const rows = await readPredictionOutput(out);
      const byName = Object.fromEntries(rows.map((row) => [row.path.split('/').pop(), row]));
      expect(byName['red.png']?.label).toBe('red');
      expect(byName['grey.png']?.label).toBe('unknown');
      expect(byName['grey.png']?.predictions[0]?.label).not.toBe('unknown');
    }
    expect(readFileSync(join(dir, 'results.csv'), 'utf8').split('\n')[0]).toMatch(/^path,model,label,label_1,probability_1/);
  });
});

describe('headstart predict --tta', () => {
  it('averages the probabilities of the four views (the same numbers as running the views directly); refused in bulk', async () => {
    // A half red, half blue image: the crops see different shares of each colour.
    const w = 16;
    const raw = Buffer.alloc(w * w * 3);
    for (let i = 0; i < w * w; i++) raw.set((i % w) < 6 ? [240, 10, 10] : [10, 10, 240], i * 3);
    const file = join(dir, 'split.png');
    writeFileSync(file, await sharp(raw, { raw: { width: w, height: w, channels: 3 } }).png().toBuffer());
    type Out = { tta?: boolean; results: { predictions: { label: string; probability: number }[] }[] };
    const plain = JSON.parse((await runCli('predict', model, file, '--json')).out) as Out;
    const tta = JSON.parse((await runCli('predict', model, file, '--json', '--tta')).out) as Out;
    expect(tta.tta).toBe(true);
    const clf = await createClassifier(model, { threads: 1 });
    const rgb = await clf.decode(readFileSync(file));
    const views = ttaViews(rgb, clf.inputSize);
    const all = new Uint8Array(rgb.length * views.length);
    views.forEach((v, i) => all.set(v, i * rgb.length));
    const expected = averageViews(await clf.runPixels(all, views.length), views.length, clf.labels.length);
    await clf.dispose();
    for (const p of tta.results[0]!.predictions) expect(Math.abs(p.probability - (expected[clf.labels.indexOf(p.label)] as number))).toBeLessThan(1e-6);
    const differs = plain.results[0]!.predictions.some((p) => Math.abs(p.probability - (expected[clf.labels.indexOf(p.label)] as number)) > 1e-3);
    expect(differs).toBe(true);
    const bulk = await runCli('predict', model, images, '--tta');
    expect(bulk.code).toBe(1);
    expect(bulk.err).toContain('--tta applies to image files');
  });
});
