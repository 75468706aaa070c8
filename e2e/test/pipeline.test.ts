/**
 * The whole product on a small real dataset (Fashion-MNIST, 4 classes): materialise → `headstart
 * check` → train (phase 1 + phase 2) → evaluate → export ONNX → serve (real HTTP on loopback, page
 * included) → predict every test image on five surfaces — the TF.js run itself (reference), the
 * CLI (`predict --json`), API v1 (multipart), API v2 infer (JSON tensor) and the browser page — and
 * require them all to agree: same top-1, every probability within 1e-4 (the calibrated ones: the
 * run's temperature is folded into the model), and the same answer under an "unknown" threshold.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPreprocess, decideLabel, softmax, toModelPixels, UNKNOWN_LABEL, type PreprocessSpec } from '@headstart/core';
import { decodeImage } from '@headstart/core-node';
import { ApiConfigSchema, createLogger, startServer, type RunningServer } from '@headstart/api';
import { exportRun } from '@headstart/exporter';
import { evaluateRun, loadLayersModelFile, readHistory, readManifest, train } from '@headstart/trainer';
import { compareSurfaces, type SurfaceAnswer } from '../src/agreement.ts';
import { buildWebPage, openPage, type PageDriver } from './browser.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'apps/cli/bin/headstart.js');
const MATERIALIZE = join(ROOT, 'tools/src/fashion-mnist/materialize.ts');
/** T-shirt/top, Trouser, Sneaker, Bag. */
const CLASSES = '0,1,7,8';
const INPUT_SIZE = 64;
const MODEL = 'fmnist';
const TOLERANCE = 1e-4;

const run = promisify(execFile);

/** Runs a repository command (node + tsx) and returns its stdout; throws with stderr on failure. */
async function node(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, args, { cwd: ROOT, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } });
  return stdout;
}

/** Every PNG under a class-per-folder directory, as `<Class>/<file>` keys. */
async function listImages(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const cls of (await readdir(dir)).sort()) {
    for (const f of (await readdir(join(dir, cls))).sort()) if (f.endsWith('.png')) out.push(`${cls}/${f}`);
  }
  return out;
}

/** Probabilities for `labels` as a SurfaceAnswer (top-1 = largest). */
function answer(labels: string[], probs: ArrayLike<number>): SurfaceAnswer {
  const probabilities: Record<string, number> = {};
  let best = 0;
  labels.forEach((l, i) => {
    probabilities[l] = probs[i] as number;
    if ((probs[i] as number) > (probs[best] as number)) best = i;
  });
  return { top1: labels[best] as string, probabilities };
}

/** A list of {label, probability} (any order) as a SurfaceAnswer, top-1 = its first entry. */
function fromPredictions(preds: { label: string; probability: number }[]): SurfaceAnswer {
  const probabilities: Record<string, number> = {};
  for (const p of preds) probabilities[p.label] = p.probability;
  return { top1: preds[0]?.label ?? '', probabilities };
}

/** The largest |Δp| between two surfaces over every image and label (for the log line). */
function maxDelta(a: Record<string, SurfaceAnswer>, b: Record<string, SurfaceAnswer>): number {
  let m = 0;
  for (const [image, x] of Object.entries(a)) {
    for (const [label, p] of Object.entries(x.probabilities)) m = Math.max(m, Math.abs(p - (b[image]?.probabilities[label] ?? Number.NaN)));
  }
  return m;
}

let tmp: string;
let server: RunningServer | undefined;
let browser: PageDriver | undefined;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'headstart-e2e-'));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
}, 60_000);

describe('pipeline: Fashion-MNIST subset → run → ONNX → CLI, API v1/v2 and browser agree', () => {
  it('trains, evaluates, exports, serves, and every surface agrees within 1e-4', async () => {
    const started = performance.now();
    const data = join(tmp, 'data');
    const testDir = join(tmp, 'test-images');
    const runDir = join(tmp, 'runs', 'fmnist');

    // 1. Dataset: 20 training images per class, 3 held-out test images per class (the test split).
    await node(['--import', 'tsx', MATERIALIZE, '--out', data, '--per-class', '20', '--classes', CLASSES, '--seed', '1', '--split', 'train']);
    await node(['--import', 'tsx', MATERIALIZE, '--out', testDir, '--per-class', '3', '--classes', CLASSES, '--seed', '1', '--split', 'test']);
    const images = await listImages(testDir);
    expect(images).toHaveLength(12);

    // 2. `headstart check --json`: usable, four classes of 20.
    const check = JSON.parse(await node([CLI, 'check', data, '--json'])) as { usable: boolean; classes: Record<string, number> };
    expect(check.usable).toBe(true);
    expect(Object.values(check.classes)).toEqual([20, 20, 20, 20]);

    // 3. Train both phases, short: a MobileNetV2 base at 64 px, head first, then the top layers.
    const result = await train(
      {
        data,
        out: runDir,
        base: 'mobilenet_v2',
        inputSize: INPUT_SIZE,
        schedule: {
          phase1: { epochs: 3, learningRate: 3e-3, batchSize: 16 },
          phase2: { epochs: 1, learningRate: 1e-4, batchSize: 16, unfreeze: { kind: 'top', n: 4 } },
          // 20 validation images: enough to fit the temperature (calibration needs 20 held-out images).
          valSplit: 0.25,
          seed: 1,
        },
      },
      () => undefined,
    );
    const manifest = await readManifest(runDir);
    expect(manifest.status).toBe('complete');
    expect(manifest.labels).toHaveLength(4);
    const phases = new Set((await readHistory(runDir)).map((r) => r.phase));
    expect([...phases].sort()).toEqual(['phase1', 'phase2']);
    expect(result.runDir).toBe(runDir);
    const trainedAt = performance.now();

    // 4. Evaluate on the held-out test images: their own report-test-images.json/.html, beside the run's report.
    const report = await evaluateRun(runDir, { data: testDir });
    expect(typeof report.accuracy).toBe('number');
    expect(report.accuracy).toBeGreaterThanOrEqual(0);
    expect(report.accuracy).toBeLessThanOrEqual(1);
    expect(report.confusion.flat().reduce((a, b) => a + b, 0)).toBe(12);
    expect(report.source).toMatchObject({ data: testDir, split: 'all', images: 12 });
    expect((await stat(join(runDir, 'report-test-images.json'))).size).toBeGreaterThan(0);
    expect((await stat(join(runDir, 'report-test-images.html'))).size).toBeGreaterThan(0);
    expect((await stat(join(runDir, 'report.html'))).size).toBeGreaterThan(0);

    // Calibrated: the temperature fitted on the 20 validation images is folded into the saved model.
    expect(manifest.calibration).toMatchObject({ heldOut: 'val', count: 20 });
    const temperature = manifest.calibration?.temperature ?? 1;

    const labels = manifest.labels;
    const spec: PreprocessSpec = manifest.preprocess;
    const [h, w] = spec.size;
    const answers: Record<string, Record<string, SurfaceAnswer>> = { tfjs: {}, cli: {}, apiV1: {}, apiV2: {}, browser: {} };

    // Reference: the run's TF.js model on core's decode → toModelPixels → applyPreprocess.
    const model = await loadLayersModelFile(join(runDir, 'model', 'model.json'));
    const pixelsOf = new Map<string, Uint8Array>();
    const referenceProbs = new Map<string, Float32Array>();
    for (const key of images) {
      const decoded = await decodeImage(await readFile(join(testDir, key)));
      const pixels = toModelPixels(decoded.data, [decoded.height, decoded.width], spec);
      pixelsOf.set(key, pixels);
      const probs = tf.tidy(() => {
        const x = tf.tensor4d(applyPreprocess(pixels, 1, spec), [1, h, w, 3]);
        return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
      });
      referenceProbs.set(key, probs);
    }
    model.dispose();
    // The parity check can tell calibrated from uncalibrated probabilities: without the temperature
    // (softmax(T · log p)) they would differ by far more than the tolerance.
    const uncalibratedDelta = Math.max(...[...referenceProbs.values()].map((p) => {
      const raw = softmax(Array.from(p, (v) => temperature * Math.log(v)), labels.length);
      return Math.max(...Array.from(p, (v, i) => Math.abs(v - (raw[i] as number))));
    }));
    expect(uncalibratedDelta).toBeGreaterThan(10 * TOLERANCE);
    // "Unknown" at the median top-1 probability of the test images: about half are answered "unknown".
    const tops = [...referenceProbs.values()].map((p) => Math.max(...p)).sort((a, b) => a - b);
    const unknownBelow = ((tops[5] as number) + (tops[6] as number)) / 2;
    for (const key of images) {
      const ref = answer(labels, referenceProbs.get(key) as Float32Array);
      answers['tfjs']![key] = { ...ref, answer: decideLabel(ref.top1, ref.probabilities[ref.top1] as number, unknownBelow).label };
    }
    const refAnswers = Object.values(answers['tfjs']!).map((a) => a.answer);
    expect(refAnswers).toContain(UNKNOWN_LABEL);
    expect(refAnswers.some((a) => a !== UNKNOWN_LABEL)).toBe(true);

    // 5. Export ONNX (with the "unknown" threshold) and publish it as models/fmnist/1/model.onnx.
    const exported = await exportRun(runDir, { unknownBelow });
    expect((await readManifest(runDir)).unknown).toEqual({ below: unknownBelow });
    expect(exported.path).toBe(join(runDir, 'model.onnx'));
    const registry = join(tmp, 'models');
    await mkdir(join(registry, MODEL, '1'), { recursive: true });
    await copyFile(exported.path, join(registry, MODEL, '1', 'model.onnx'));

    // 6. Serve the registry and a freshly built page on loopback (port 0).
    const webRoot = await buildWebPage(join(tmp, 'web'));
    const config = ApiConfigSchema.parse({ modelsDir: registry, port: 0, host: '127.0.0.1', webRoot, pollMs: 0, watch: false, logLevel: 'silent' });
    server = await startServer(config, createLogger('silent'));
    const base = server.url;

    // CLI: `headstart predict <model> <images...> --topk 4 --json` (one process, every image).
    const cli = JSON.parse(await node([CLI, 'predict', exported.path, ...images.map((k) => join(testDir, k)), '--topk', '4', '--json'])) as {
      labels: string[];
      results: { image: string; label: string; predictions: { label: string; probability: number }[] }[];
    };
    expect(cli.labels).toEqual(labels);
    for (const r of cli.results) answers['cli']![relative(testDir, r.image)] = { ...fromPredictions(r.predictions), answer: r.label };

    // API v1: multipart upload of the file's bytes.
    for (const key of images) {
      const form = new FormData();
      form.append('image', new Blob([await readFile(join(testDir, key))], { type: 'image/png' }), basename(key));
      const res = await fetch(`${base}/v1/models/${MODEL}/versions/1/predict?topk=4`, { method: 'POST', body: form });
      expect(res.status, await res.clone().text()).toBe(200);
      const body = (await res.json()) as { label: string; predictions: { label: string; probability: number }[] };
      answers['apiV1']![key] = { ...fromPredictions(body.predictions), answer: body.label };
    }

    // API v2 (Open Inference Protocol): the model-sized pixels as a UINT8 NHWC tensor.
    const meta = (await (await fetch(`${base}/v2/models/${MODEL}`)).json()) as { inputs: { name: string; shape: number[] }[] };
    expect(meta.inputs[0]?.shape).toEqual([-1, h, w, 3]);
    for (const key of images) {
      const res = await fetch(`${base}/v2/models/${MODEL}/versions/1/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [{ name: meta.inputs[0]?.name, shape: [1, h, w, 3], datatype: 'UINT8', data: Array.from(pixelsOf.get(key) ?? []) }] }),
      });
      expect(res.status, await res.clone().text()).toBe(200);
      const body = (await res.json()) as { outputs: { name: string; data: (number | string)[]; shape: number[] }[] };
      expect(body.outputs[0]?.shape).toEqual([1, labels.length]);
      const label = body.outputs.find((o) => o.name === 'label')?.data[0];
      answers['apiV2']![key] = { ...answer(labels, (body.outputs[0]?.data ?? []) as number[]), ...(typeof label === 'string' ? { answer: label } : {}) };
    }

    // Browser: the page served by the API, model from the registry, each file uploaded.
    browser = await openPage(base, MODEL, join(tmp, 'chromium-profile'));
    expect(browser.modelStatus).toMatch(new RegExp(`4 classes, input ${h}×${w}`));
    for (const key of images) answers['browser']![key] = await browser.classify(join(testDir, key));

    for (const [surface, byImage] of Object.entries(answers)) expect(Object.keys(byImage).sort(), surface).toEqual([...images].sort());
    const disagreements = compareSurfaces(answers, 'tfjs', TOLERANCE);
    expect(disagreements, JSON.stringify(disagreements, null, 1)).toEqual([]);

    // The check can fail: moving one probability of one image on any one surface by 2× the
    // tolerance is reported, for that surface and image only.
    const probe = images[5] as string;
    for (const surface of Object.keys(answers).filter((s) => s !== 'tfjs')) {
      const original = answers[surface]?.[probe] as SurfaceAnswer;
      const label = labels[2] as string;
      const nudged = { ...original, probabilities: { ...original.probabilities, [label]: (original.probabilities[label] as number) + 2 * TOLERANCE } };
      const found = compareSurfaces({ ...answers, [surface]: { ...answers[surface], [probe]: nudged } }, 'tfjs', TOLERANCE);
      expect(found.map((d) => [d.surface, d.image]), surface).toEqual([[surface, probe]]);
    }

    // Evaluation and serving see the same pixels: the reference's accuracy on the test images
    // equals the evaluator's.
    const referenceCorrect = images.filter((k) => answers['tfjs']?.[k]?.top1 === dirname(k)).length;
    expect(report.accuracy).toBeCloseTo(referenceCorrect / images.length, 10);

    const seconds = (performance.now() - started) / 1000;
    const trainSeconds = (trainedAt - started) / 1000;
    const deltas = Object.keys(answers)
      .filter((s) => s !== 'tfjs')
      .map((s) => `${s} ${maxDelta(answers['tfjs'] ?? {}, answers[s] ?? {}).toExponential(1)}`);
    process.stderr.write(
      `e2e pipeline: ${seconds.toFixed(1)} s total (${trainSeconds.toFixed(1)} s to a trained run on TF.js ${manifest.backend}), test accuracy ${report.accuracy.toFixed(3)}, ` +
        `max |Δp| vs TF.js: ${deltas.join(', ')}\n`,
    );
  }, 600_000);
});
