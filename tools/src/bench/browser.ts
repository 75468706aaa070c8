/**
 * Browser inference latency of a Headstart ONNX file: the built page, served by the API, in Debian
 * Chromium (headless, no GPU) — wasm multi-threaded (cross-origin isolated) vs single-threaded —
 * beside onnxruntime-node on the same model. Medians of `--runs` classifications after one warm-up.
 * Without `--model` it measures the API benchmark's model (MobileNetV2 224×224, 5 classes, exported in memory).
 *
 * Usage: nice -n 10 node --import tsx tools/src/bench/browser.ts [--model model.onnx] [--runs 20] [--md FILE]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ortNode from 'onnxruntime-node';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { buildApp } from '@headstart/api';
import { parseHeadstartMetadata, readOnnxMetadata } from '@headstart/core';
import { encodeRgbPng, syntheticRgb } from '@headstart/core-node/testing';
import { listen } from '@headstart/core-node/testing/http';
import { exportBenchModel } from './api-load-model.ts';
import { benchCommand, mdTable, median, parsePositiveInt, writeMarkdown } from './bench-kit.ts';
import { describeMachine, formatLoad, machineLine } from './machine.ts';

const WEB_DIR = fileURLToPath(new URL('../../../apps/web', import.meta.url));

/** One measured surface: where it ran, on which provider, and its median times. */
interface Row {
  where: string;
  provider: string;
  inferenceMs: number;
  decodeMs: number;
}

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    runs: { type: 'string', default: '20' },
    md: { type: 'string', default: join(tmpdir(), 'headstart-bench', 'browser.md') },
  },
  strict: true,
});
const runs = parsePositiveInt(values.runs, '--runs');
const modelPath = values.model ? resolve(values.model) : undefined;
const bytes = modelPath ? new Uint8Array(readFileSync(modelPath)) : exportBenchModel();
const info = parseHeadstartMetadata(readOnnxMetadata(bytes));
const [h, w] = info.inputSize;
const loadBefore = describeMachine().loadavg;

const tmp = mkdtempSync(join(tmpdir(), 'headstart-web-bench-'));
const dist = join(tmp, 'dist');
await build({ configFile: join(WEB_DIR, 'vite.config.ts'), root: WEB_DIR, logLevel: 'error', build: { outDir: dist, emptyOutDir: true } });
mkdirSync(join(tmp, 'models', 'bench', '1'), { recursive: true });
writeFileSync(join(tmp, 'models', 'bench', '1', 'model.onnx'), bytes);
const rgb = syntheticRgb(w, h, 2);
writeFileSync(join(tmp, 'image.png'), encodeRgbPng(rgb, w, h));

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
const rows: Row[] = [];
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
    rows.push({ where: `chromium ${browser.version()}`, provider, inferenceMs: median(inf), decodeMs: median(dec) });
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

const ms = (x: number): string => (Number.isNaN(x) ? '–' : `${x.toFixed(1)} ms`);
const modelText = modelPath ? `${modelPath} (${(bytes.length / 1e6).toFixed(1)} MB, input ${h}x${w})` : `MobileNetV2 exported in memory (${(bytes.length / 1e6).toFixed(1)} MB, input ${h}x${w})`;
const md = [
  '# Browser inference latency',
  '',
  `Command: \`${benchCommand('browser.ts', process.argv.slice(2))}\``,
  '',
  `Machine: ${machineLine(describeMachine())}. Load average before ${formatLoad(loadBefore)}, after ${formatLoad(describeMachine().loadavg)}.`,
  '',
  `Model: ${modelText}; median of ${runs} runs after one warm-up, batch 1. The page's own timings (its result caption); onnxruntime-node timed in-process on the same pixels.`,
  '',
  mdTable(['runtime', 'provider', 'inference', 'decode+resize'], rows.map((r) => [r.where, r.provider, ms(r.inferenceMs), ms(r.decodeMs)])),
  '',
].join('\n');
await writeMarkdown(values.md, md);
process.stdout.write(md);
