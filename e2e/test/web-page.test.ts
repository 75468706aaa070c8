import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ortNode from 'onnxruntime-node';
import { chromium, type BrowserContext, type FileChooser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classChannel, normalizeHeat, overlayHeat, resizeRgb } from '@headstart/core';
import { decodeImage } from '@headstart/core-node';
import { encodeRgbPng, syntheticRgb } from '@headstart/core-node/testing';
import { listen, type RunningServer } from '@headstart/core-node/testing/http';
import { buildApp, type HeadstartApp } from '@headstart/api';
import { buildWebPage, launchChromium } from './browser.ts';
import { buildTinyClassifier } from './tiny-onnx.ts';

/**
 * End to end: build the page with Vite, serve it cross-origin isolated beside a stand-in registry,
 * drive Debian Chromium with playwright-core, and check the browser's answers against
 * onnxruntime-node on the same model and pixels.
 */

const e2eDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const artifacts = join(e2eDir, 'test-artifacts', 'web-page');
const LABELS = ['t-shirt', 'trouser', 'bag'];
const SIZE: [number, number] = [8, 8];
// Core's golden preprocessing image (first of its batch), so web and core share a fixture.
const coreFixtures = join(e2eDir, '../packages/core/test/fixtures');
const golden = JSON.parse(readFileSync(join(coreFixtures, 'preprocess-golden.json'), 'utf8')) as {
  image: { height: number; width: number; pixels: number[] };
};
const goldenRgb = Uint8Array.from(golden.image.pixels.slice(0, golden.image.height * golden.image.width * 3));
const FIXTURES = [
  { name: 'exact-8x8.png', w: 8, h: 8, rgb: syntheticRgb(8, 8, 1) },
  { name: 'exact2-8x8.png', w: 8, h: 8, rgb: syntheticRgb(8, 8, 4) },
  // JPEG: Chromium and sharp both decode with libjpeg-turbo (checked: identical pixels).
  { name: 'exact-8x8.jpg', w: 8, h: 8, rgb: syntheticRgb(8, 8, 5) },
  // EXIF orientation 6 (rotate 90° clockwise to display): both sides must apply it.
  { name: 'exif-rot90-8x8.jpg', w: 8, h: 8, rgb: syntheticRgb(8, 8, 6), orientation: 6 },
  { name: 'wide-20x12.png', w: 20, h: 12, rgb: syntheticRgb(20, 12, 2) },
  { name: 'tall-30x70.png', w: 30, h: 70, rgb: syntheticRgb(30, 70, 3) },
  { name: 'core-golden-5x6.png', w: golden.image.width, h: golden.image.height, rgb: goldenRgb },
  // Core's cross-surface fixtures, as files: a grey Fashion-MNIST PNG (28 → 8) and an RGBA PNG
  // with semi-transparent pixels (23×17 → 8×8); their RGB comes from core's Node decode.
  { name: 'fmnist-28.png', w: 28, h: 28, rgb: new Uint8Array(0), file: true },
  { name: 'rgba-23x17.png', w: 23, h: 17, rgb: new Uint8Array(0), file: true },
];
const REPORT = {
  accuracy: 0.8,
  macroF1: 0.79,
  topK: { '1': 0.8, '2': 0.95 },
  labels: LABELS,
  confusion: [
    [5, 1, 0],
    [0, 4, 1],
    [1, 0, 3],
  ],
  perClass: LABELS.map((label, i) => ({ label, precision: 0.8 - i * 0.05, recall: 0.75, f1: 0.77, support: 5 })),
  confusedPairs: [{ actual: 'trouser', predicted: 'bag', count: 1 }],
  history: [1, 2, 3].map((epoch) => ({ phase: epoch < 3 ? 'phase1' : 'phase2', epoch, loss: 1 / epoch, acc: 0.5 + epoch / 10, val_loss: 1.2 / epoch, val_acc: 0.45 + epoch / 10 })),
};

let tmp: string;
let server: RunningServer;
let api: HeadstartApp | undefined;
let context: BrowserContext;
let page: Page;
let session: ortNode.InferenceSession;
const model = buildTinyClassifier({ size: SIZE, labels: LABELS, resize: 'cover' });
const pngs = new Map<string, { png: Buffer; rgb: Uint8Array; w: number; h: number }>();
const requests: string[] = [];
/** Origins of the page's own servers besides `server` (the non-isolated one). */
const extraOrigins: string[] = [];
const wasmResponses: { url: string; type: string | undefined }[] = [];

/** The reference answer: the same resize, then onnxruntime-node. */
async function expected(rgb: Uint8Array, w: number, h: number): Promise<Float32Array> {
  const pixels = resizeRgb(rgb, [h, w], SIZE, 'cover');
  const out = await session.run({ pixels: new ortNode.Tensor('float32', Float32Array.from(pixels), [1, SIZE[0], SIZE[1], 3]) });
  return out['probabilities']?.data as Float32Array;
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'headstart-web-e2e-'));
  mkdirSync(artifacts, { recursive: true });
  const dist = await buildWebPage(join(tmp, 'dist'));
  session = await ortNode.InferenceSession.create(model);
  for (const f of FIXTURES) {
    let rgb = f.rgb;
    let png = 'file' in f ? readFileSync(join(coreFixtures, f.name)) : encodeRgbPng(rgb, f.w, f.h);
    if ('file' in f) rgb = (await decodeImage(png)).data;
    else if (f.name.endsWith('.jpg')) {
      const orientation = 'orientation' in f ? f.orientation : undefined;
      png = await sharp(Buffer.from(rgb), { raw: { width: f.w, height: f.h, channels: 3 } })
        .withMetadata(orientation ? { orientation } : {})
        .jpeg({ quality: 85 })
        .toBuffer();
      rgb = new Uint8Array(await sharp(png).rotate().raw().toBuffer());
      if (orientation) expect((await sharp(png).metadata()).orientation).toBe(orientation);
    }
    writeFileSync(join(tmp, f.name), png);
    pngs.set(f.name, { png, rgb, w: f.w, h: f.h });
  }
  writeFileSync(join(tmp, 'report.json'), JSON.stringify(REPORT));
  writeFileSync(join(tmp, 'tiny.onnx'), model);

  // The real API serves the page (webRoot) and the registry; report.json has no API route yet
  // (proposed: GET /v1/models/:name/versions/:v/report.json), so that one route is added in front.
  const registry = join(tmp, 'models');
  mkdirSync(join(registry, 'tiny', '1'), { recursive: true });
  writeFileSync(join(registry, 'tiny', '1', 'model.onnx'), model);
  api = buildApp({ modelsDir: registry, webRoot: dist, pollMs: 0, threads: 1 });
  await api.ready;
  const handler = api;
  server = await listen((req, res) => {
    if (req.url === '/v1/models/tiny/versions/1/report.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(REPORT));
      return;
    }
    handler(req, res);
  });

  context = await launchChromium(join(tmp, 'profile'));
  context.on('request', (r) => void requests.push(r.url()));
  context.on('response', (r) => {
    if (new URL(r.url()).pathname.endsWith('.wasm')) wasmResponses.push({ url: r.url(), type: r.headers()['content-type'] });
  });
  page = context.pages()[0] ?? (await context.newPage());
}, 150_000);

afterAll(async () => {
  await context?.close();
  await server?.close();
  await api?.close();
  await session?.release();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function classifyFile(name: string): Promise<{ label: string; probability: number }> {
  await page.setInputFiles('#image-file', join(tmp, name));
  await page.waitForFunction((n) => {
    const s = document.getElementById('result-status');
    return s?.dataset['state'] !== 'running' && (s?.textContent ?? '').startsWith(n);
  }, name);
  const state = await page.getAttribute('#result-status', 'data-state');
  expect(state, await page.textContent('#result-status') ?? '').toBe('done');
  const top = page.locator('#browser-result li').first();
  return { label: (await top.getAttribute('data-label')) ?? '', probability: Number(await top.getAttribute('data-probability')) };
}

describe('web page (built, served with COOP/COEP, in Chromium)', () => {
  it('loads the pre-selected registry model without a click and agrees with onnxruntime-node and the API within 1e-4', async () => {
    await page.goto(server.origin + '/');
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await page.waitForSelector('#registry[data-state="ready"]');
    expect(await page.locator('#registry option').first().textContent()).toContain('tiny');
    await page.waitForSelector('#model-status[data-state="ready"], #model-status[data-state="error"]');
    const modelStatus = (await page.textContent('#model-status')) ?? '';
    expect(await page.getAttribute('#model-status', 'data-state'), modelStatus).toBe('ready');
    expect(modelStatus).toMatch(/3 classes, input 8×8/);
    // No GPU here: wasm, multi-threaded because the page is cross-origin isolated.
    expect(modelStatus).toMatch(/running on wasm \([2-9] threads\)|running on webgpu/);
    await page.check('#compare');

    for (const f of FIXTURES) {
      const fx = pngs.get(f.name);
      if (!fx) throw new Error(f.name);
      const probs = await expected(fx.rgb, fx.w, fx.h);
      const best = probs.indexOf(Math.max(...probs));
      const got = await classifyFile(f.name);
      expect(got.label, f.name).toBe(LABELS[best]);
      expect(Math.abs(got.probability - (probs[best] as number)), f.name).toBeLessThan(1e-4);
      // All classes, not just top-1, and the server-compare view agrees too.
      for (const li of await page.locator('#browser-result li').all()) {
        const i = LABELS.indexOf((await li.getAttribute('data-label')) ?? '');
        expect(Math.abs(Number(await li.getAttribute('data-probability')) - (probs[i] as number))).toBeLessThan(1e-4);
      }
      // Browser vs the API's own answer, as the page's compare view shows it: both run core's
      // toModelPixels (drop alpha → resizeRgb) on the same decoded pixels, so resized images too
      // (upscales, RGBA with semi-transparent pixels) must agree within 1e-4.
      const apiDelta = Number(await page.getAttribute('#server-result', 'data-max-delta'));
      expect(Number.isFinite(apiDelta)).toBe(true);
      expect(apiDelta, `${f.name} (${f.w}x${f.h} → 8x8): browser vs API max |Δp|`).toBeLessThan(1e-4);
      expect(await page.locator('#server-result li').first().getAttribute('data-label')).toBe(got.label);
      expect(await page.getAttribute('#server-result', 'data-agrees')).toBe('true');
    }
    expect(await page.textContent('#browser-result .caption')).toMatch(/inference \d+(\.\d+)? ms/);
    expect(await page.isVisible('#model-view')).toBe(true);
    await page.screenshot({ path: join(artifacts, 'classify-desktop.png'), fullPage: true });
  });

  it('says plainly when an image cannot be decoded', async () => {
    await page.setInputFiles('#image-file', { name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('this is not a png') });
    await page.waitForSelector('#result-status[data-state="error"]');
    expect(await page.textContent('#result-status')).toMatch(/Could not classify broken\.png: .*could not decode/i);
  });

  it('renders the report view with a confusion matrix (API route and file drop)', async () => {
    await page.click('#load-report');
    await page.waitForSelector('svg.confusion-matrix');
    const cells = page.locator('svg.confusion-matrix .cm-cell');
    expect(await cells.count()).toBe(LABELS.length * LABELS.length);
    expect(await page.getAttribute('.cm-cell[data-actual="trouser"][data-predicted="bag"]', 'data-count')).toBe('1');
    expect(await page.locator('svg.curve').count()).toBe(2);
    expect(await page.locator('#report tbody tr').count()).toBe(LABELS.length);
    await page.locator('#report').screenshot({ path: join(artifacts, 'report.png') });
    // The same report from a local file.
    await page.evaluate(() => document.getElementById('report')?.replaceChildren());
    await page.setInputFiles('#report-file', join(tmp, 'report.json'));
    await page.waitForSelector('svg.confusion-matrix');
  });

  it('is usable on a phone-sized screen and every control has a label', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    // The drop zone is a keyboard button that opens the file chooser.
    // Chromium shows a chooser only for a foreground page with a fresh user activation; on a
    // heavily loaded machine one key press can miss that window, so a second press is allowed.
    await page.bringToFront();
    await page.focus('#dropzone');
    let chooser: FileChooser | undefined;
    for (let attempt = 0; attempt < 3 && !chooser; attempt++) {
      [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: 10_000 }).catch(() => undefined), page.keyboard.press('Enter')]);
    }
    expect(chooser, 'Enter on the drop zone opens the image chooser').toBeDefined();
    expect(chooser?.isMultiple()).toBe(false);
    await page.screenshot({ path: join(artifacts, "phone.png"), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    const wide = await page.evaluate(() => [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5).map((e) => e.tagName + "#" + e.id + "." + e.className).slice(0, 8).join(" "));
    expect(overflow, wide).toBeLessThanOrEqual(0);
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, button')]
        .filter((el) => !(el as HTMLInputElement).labels?.length && !el.textContent?.trim() && !el.getAttribute('aria-label'))
        .map((el) => el.id),
    );
    expect(unlabelled).toEqual([]);
    await page.screenshot({ path: join(artifacts, 'phone.png'), fullPage: true });
  });

  it('opens a local .onnx and falls back to single-threaded wasm when the page is not cross-origin isolated', async () => {
    // Same API, but COOP/COEP stripped: no SharedArrayBuffer, so one wasm thread.
    const handler = api as HeadstartApp;
    const plain = await listen((req, res) => {
      const set = res.setHeader.bind(res);
      res.setHeader = (name, value) => (/^cross-origin-(opener|embedder)-policy$/i.test(name) ? res : set(name, value));
      handler(req, res);
    });
    extraOrigins.push(plain.origin);
    const p2 = await context.newPage();
    try {
      await p2.goto(plain.origin + '/');
      expect(await p2.evaluate(() => crossOriginIsolated)).toBe(false);
      // This time the model comes from a local file, not the registry.
      await p2.setInputFiles('#model-file', join(tmp, 'tiny.onnx'));
      await p2.waitForSelector('#model-status[data-state="ready"], #model-status[data-state="error"]');
      expect(await p2.textContent('#model-status')).toContain('tiny.onnx: 3 classes');
      expect(await p2.isDisabled('#compare')).toBe(true);
      expect(await p2.textContent('#model-status')).toMatch(/running on (wasm \(1 thread\)|webgpu)/);
      const fx = pngs.get('exact-8x8.png');
      if (!fx) throw new Error('fixture');
      const probs = await expected(fx.rgb, fx.w, fx.h);
      await p2.setInputFiles('#image-file', join(tmp, 'exact-8x8.png'));
      await p2.waitForSelector('#result-status[data-state="done"]');
      const top = p2.locator('#browser-result li').first();
      const i = LABELS.indexOf((await top.getAttribute('data-label')) ?? '');
      expect(Math.abs(Number(await top.getAttribute('data-probability')) - (probs[i] as number))).toBeLessThan(1e-4);
      expect(i).toBe(probs.indexOf(Math.max(...probs)));
    } finally {
      await p2.close();
      await plain.close();
    }
  });

  it('"why" toggle: draws the Grad-CAM heat map from the model\'s cam output (matching onnxruntime-node), and says so when the model has none', async () => {
    await page.setViewportSize({ width: 1100, height: 900 });
    const fx = pngs.get('exact-8x8.png');
    if (!fx) throw new Error('fixture');
    // The registry model has no cam output: the toggle says so.
    await page.goto(server.origin + '/');
    await page.waitForSelector('#model-status[data-state="ready"]');
    await page.check('#why');
    await classifyFile('exact-8x8.png');
    await page.waitForSelector('#why-status[data-state="unavailable"]');
    expect(await page.textContent('#why-status')).toMatch(/no Grad-CAM output.*headstart explain/);
    expect(await page.isHidden('#why-fig')).toBe(true);

    // A model with the cam output, opened from a file.
    const camModel = buildTinyClassifier({ size: SIZE, labels: LABELS, resize: 'cover', cam: true, seed: 11 });
    writeFileSync(join(tmp, 'tiny-cam.onnx'), camModel);
    await page.setInputFiles('#model-file', join(tmp, 'tiny-cam.onnx'));
    await page.waitForSelector('#model-status[data-state="ready"]');
    const got = await classifyFile('exact-8x8.png');
    await page.waitForSelector('#why-status[data-state="drawn"]');
    expect(await page.isVisible('#why-view')).toBe(true);
    expect(await page.textContent('#why-caption')).toContain(`for ${got.label}`);
    const canvasRgb = (id: string): Promise<number[]> =>
      page.evaluate((sel) => {
        const c = document.getElementById(sel) as HTMLCanvasElement;
        const d = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
        return [...d].filter((_, i) => i % 4 !== 3);
      }, id);
    const overlay = await canvasRgb('why-view');
    const bare = await canvasRgb('model-view');
    expect(overlay).toHaveLength(SIZE[0] * SIZE[1] * 3);
    expect(bare).toEqual([...fx.rgb]);
    const changed = overlay.filter((v, i) => Math.abs(v - bare[i]!) > 10).length;
    expect(changed / overlay.length).toBeGreaterThan(0.3);
    // The same overlay computed in Node from onnxruntime-node's cam output.
    const s = await ortNode.InferenceSession.create(camModel);
    try {
      const out = await s.run({ pixels: new ortNode.Tensor('float32', Float32Array.from(fx.rgb), [1, SIZE[0], SIZE[1], 3]) });
      const heat = normalizeHeat(classChannel(out['cam']!.data as Float32Array, SIZE[0], SIZE[1], LABELS.length, LABELS.indexOf(got.label)));
      const want = overlayHeat(fx.rgb, SIZE[0], SIZE[1], heat);
      const maxDiff = Math.max(...overlay.map((v, i) => Math.abs(v - want[i]!)));
      expect(maxDiff).toBeLessThanOrEqual(1);
    } finally {
      await s.release();
    }
    await page.locator('.result').screenshot({ path: join(artifacts, 'why-toggle.png') });
    // Off again: the heat map is hidden.
    await page.uncheck('#why');
    expect(await page.isHidden('#why-fig')).toBe(true);
  });

  it('answers "unknown" below the model threshold (headstart.unknown_below), the top label still shown', async () => {
    // The tiny model is never sure of anything: a threshold of 0.99 makes every answer "unknown".
    writeFileSync(join(tmp, 'guarded.onnx'), buildTinyClassifier({ size: SIZE, labels: LABELS, resize: 'cover', metadata: { 'headstart.unknown_below': '0.99' } }));
    const p4 = await context.newPage();
    try {
      await p4.goto(server.origin + '/');
      await p4.setInputFiles('#model-file', join(tmp, 'guarded.onnx'));
      await p4.waitForSelector('#model-status[data-state="ready"]');
      await p4.setInputFiles('#image-file', join(tmp, 'exact-8x8.png'));
      await p4.waitForSelector('#result-status[data-state="done"]');
      expect(await p4.getAttribute('#result-status', 'data-answer')).toBe('unknown');
      const top = (await p4.locator('#browser-result li').first().getAttribute('data-label')) ?? '';
      expect(LABELS).toContain(top);
      expect(await p4.textContent('#result-status')).toContain(`unknown — the top label, ${top} (`);
      expect(await p4.textContent('#result-status')).toContain('threshold of 99.0 %');
    } finally {
      await p4.close();
    }
    // Without a threshold the same image answers its top label.
    expect(await page.getAttribute('#result-status', 'data-answer')).not.toBe('unknown');
  });

  it('runs on WebGPU when asked (SwiftShader adapter) and "auto" skips a software adapter', async () => {
    const gpuBrowser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-webgpu-adapter=swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const p3 = await gpuBrowser.newPage();
      p3.on('request', (r) => void requests.push(r.url()));
      const fx = pngs.get('exact-8x8.png');
      if (!fx) throw new Error('fixture');
      const probs = await expected(fx.rgb, fx.w, fx.h);
      for (const [provider, want] of [['webgpu', 'webgpu'], ['auto', 'wasm']] as const) {
        await p3.goto(server.origin + '/');
        await p3.waitForSelector('#registry[data-state="ready"]');
        await p3.selectOption('#provider', provider);
        await p3.click('#load-registry');
        await p3.waitForSelector('#model-status[data-state="ready"], #model-status[data-state="error"]');
        expect(await p3.textContent('#model-status')).toContain(`running on ${want}`);
        await p3.setInputFiles('#image-file', join(tmp, 'exact-8x8.png'));
        await p3.waitForSelector('#result-status[data-state="done"]');
        for (const li of await p3.locator('#browser-result li').all()) {
          const i = LABELS.indexOf((await li.getAttribute('data-label')) ?? '');
          expect(Math.abs(Number(await li.getAttribute('data-probability')) - (probs[i] as number)), `${provider} ${i}`).toBeLessThan(1e-4);
        }
      }
    } finally {
      await gpuBrowser.close();
    }
  });

  it('serves the wasm runtime itself as application/wasm and contacts no other host', () => {
    expect(wasmResponses.length).toBeGreaterThan(0);
    for (const r of wasmResponses) expect(r.type, r.url).toBe('application/wasm');
    const own = new Set([server.origin, ...extraOrigins]);
    const foreign = requests.filter((u) => !u.startsWith('blob:') && !u.startsWith('data:') && !own.has(new URL(u).origin));
    expect(foreign).toEqual([]);
    expect(requests.some((u) => u.endsWith('/ort/ort-wasm-simd-threaded.jsep.wasm'))).toBe(true);
  });
});
