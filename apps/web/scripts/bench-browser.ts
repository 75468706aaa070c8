/**
 * Browser inference latency of a Headstart ONNX file: the built page, served by the API, in Debian
 * Chromium (headless, no GPU) — wasm multi-threaded (cross-origin isolated) vs single-threaded —
 * beside onnxruntime-node on the same model. Medians of `--runs` classifications after one warm-up.
 *   node --import tsx apps/web/scripts/bench-browser.ts --model model.onnx [--runs 20]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ortNode from 'onnxruntime-node';
import { chromium } from 'playwright-core';
import { build } from 'vite';
// eslint-disable-next-line @nx/enforce-module-boundaries -- benchmark script: the page is measured as served by the real API.
import { buildApp } from '@headstart/api';
import { parseHeadstartMetadata, readOnnxMetadata } from '@headstart/inference/web';
import { encodePng, syntheticRgb } from '../test/helpers/png.ts';
import { listen } from '../test/helpers/listen.ts';

const { values } = parseArgs({ options: { model: { type: 'string' }, runs: { type: 'string', default: '20' } } });
if (!values.model) throw new Error('usage: bench-browser.ts --model <file.onnx> [--runs N]');
const runs = Number(values.runs);
const modelPath = resolve(values.model);
const bytes = new Uint8Array(readFileSync(modelPath));
const info = parseHeadstartMetadata(readOnnxMetadata(bytes));
const [h, w] = info.inputSize;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(join(tmpdir(), 'headstart-web-bench-'));
const dist = join(tmp, 'dist');
await build({ configFile: join(appDir, 'vite.config.ts'), root: appDir, logLevel: 'error', build: { outDir: dist, emptyOutDir: true } });
mkdirSync(join(tmp, 'models', 'bench', '1'), { recursive: true });
writeFileSync(join(tmp, 'models', 'bench', '1', 'model.onnx'), bytes);
const rgb = syntheticRgb(w, h, 2);
writeFileSync(join(tmp, 'image.png'), encodePng(rgb, w, h));

const api = buildApp({ modelsDir: join(tmp, 'models'), webRoot: dist, pollMs: 0, threads: 1 });
await api.ready;
const isolated = await listen((req, res) => api(req, res));
const plain = await listen((req, res) => {
  const set = res.setHeader.bind(res);
  res.setHeader = (n, v) => (/^cross-origin-(opener|embedder)-policy$/i.test(n) ? res : set(n, v));
  api(req, res);
});
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const rows: { where: string; provider: string; inferenceMs: number; decodeMs: number }[] = [];
try {
  for (const origin of [isolated.origin, plain.origin]) {
    const page = await browser.newPage();
    await page.goto(origin + '/');
    await page.waitForSelector('#registry[data-state="ready"]');
    await page.click('#load-registry');
    await page.waitForSelector('#model-status[data-state="ready"]', { timeout: 120_000 });
    const provider = ((await page.textContent('#model-status')) ?? '').replace(/^.*running on /, '').replace(/\.$/, '');
    const inf: number[] = [];
    const dec: number[] = [];
    for (let i = 0; i <= runs; i++) {
      await page.evaluate(() => document.getElementById('result-status')?.removeAttribute('data-state'));
      await page.setInputFiles('#image-file', join(tmp, 'image.png'));
      await page.waitForSelector('#result-status[data-state="done"]', { timeout: 120_000 });
      const caption = (await page.textContent('#browser-result .caption')) ?? '';
      const m = /decode\+resize ([\d.]+) ms, inference ([\d.]+) ms/.exec(caption);
      if (!m) throw new Error(`no timing in "${caption}"`);
      if (i > 0) {
        dec.push(Number(m[1]));
        inf.push(Number(m[2]));
      }
    }
    rows.push({ where: `chromium ${await browser.version()}`, provider, inferenceMs: median(inf), decodeMs: median(dec) });
    await page.close();
  }
  for (const threads of [1, 2]) {
    const s = await ortNode.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1 });
    const feeds = { [s.inputNames[0] as string]: new ortNode.Tensor('float32', Float32Array.from(rgb), [1, h, w, 3]) };
    await s.run(feeds);
    const t: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await s.run(feeds);
      t.push(performance.now() - t0);
    }
    rows.push({ where: 'onnxruntime-node 1.30.0', provider: `cpu (${threads} thread${threads > 1 ? 's' : ''})`, inferenceMs: median(t), decodeMs: NaN });
    await s.release();
  }
} finally {
  await browser.close();
  await isolated.close();
  await plain.close();
  await api.close();
  rmSync(tmp, { recursive: true, force: true });
}
process.stdout.write(`model ${modelPath} (${(bytes.length / 1e6).toFixed(1)} MB, input ${h}x${w}), median of ${runs} runs, batch 1\n`);
for (const r of rows) process.stdout.write(`${r.where.padEnd(26)} ${r.provider.padEnd(22)} inference ${r.inferenceMs.toFixed(1).padStart(7)} ms   decode+resize ${Number.isNaN(r.decodeMs) ? '    –' : r.decodeMs.toFixed(1).padStart(5)} ms\n`);
