/**
 * Base forward throughput for feature extraction: the same cut base (nsfwjs MobileNetV2 to
 * out_relu, InceptionV3 to mixed10), same input, same batch, on onnxruntime-node (exported by
 * @headstart/exporter) vs the TF.js wasm backend vs the TF.js pure-JS cpu backend. Also times the
 * export itself and checks the ONNX features agree with TF.js.
 *
 * Usage: nice -n 10 node --import tsx tools/src/bench/export-throughput.ts [--quick] [--runs 5] [--batch 8]
 *          [--bases mobilenet_v2,inception_v3] [--cpu-bases mobilenet_v2] [--md FILE] (default: a file under the OS temp dir; `npm run bench` puts the result into docs/benchmarks.md)
 * Prints one JSON document on stdout and writes a markdown section (atomically) to --md.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { createOnnxFeatureExtractor, loadBase, selectBackend } from '@headstart/trainer';
import type { ArtifactSource, WeightSpec } from '@headstart/core';
import { benchCommand, mdTable, median, parseList, writeMarkdown } from './bench-kit.ts';

interface Row {
  base: string;
  inputSize: number;
  batch: number;
  engine: string;
  imagesPerSecond: number[];
  median: number;
}

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    batch: { type: 'string' },
    bases: { type: 'string' },
    'cpu-bases': { type: 'string' },
    md: { type: 'string', default: path.join(os.tmpdir(), 'headstart-bench', 'export-throughput.md') },
  },
  strict: true,
});
const quick = values.quick;
const runs = Number(values.runs ?? (quick ? 2 : 5));
const batch = Number(values.batch ?? (quick ? 2 : 8));
const bases = parseList(values.bases ?? (quick ? 'mobilenet_v2' : 'mobilenet_v2,inception_v3'));
const cpuBases = parseList(values['cpu-bases'] ?? 'mobilenet_v2');
const SIZES: Record<string, number> = { mobilenet_v2: quick ? 96 : 224, inception_v3: quick ? 75 : 299 };

async function artifactsOf(model: tf.LayersModel): Promise<ArtifactSource> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return { modelTopology: saved!.modelTopology, weightSpecs: saved!.weightSpecs as WeightSpec[], weightData: saved!.weightData as ArrayBuffer };
}

async function time(fn: () => Promise<unknown>, n: number, images: number): Promise<number[]> {
  await fn(); // warm-up
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(images / ((performance.now() - t0) / 1000));
  }
  return out;
}

const rows: Row[] = [];
const notes: string[] = [];
for (const id of bases) {
  const size = SIZES[id]!;
  await selectBackend('wasm');
  const base = await loadBase(id, { inputSize: size });
  const x = Float32Array.from({ length: batch * size * size * 3 }, (_, i) => Math.sin(i) * 0.9);
  const artifacts = await artifactsOf(base.model);
  const t0 = performance.now();
  const fx = await createOnnxFeatureExtractor(artifacts, {});
  const exportMs = performance.now() - t0;
  // TF.js wasm runs single-threaded in Node: also measure onnxruntime pinned to one thread.
  const fx1 = await createOnnxFeatureExtractor(artifacts, { threads: 1 });
  const onnxOut = await fx.run(x, batch);
  const tfOut = tf.tidy(() => (base.model.predict(tf.tensor(x, [batch, size, size, 3])) as tf.Tensor).dataSync());
  let maxAbs = 0;
  let scale = 0;
  for (let i = 0; i < tfOut.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(tfOut[i]! - onnxOut[i]!));
    scale = Math.max(scale, Math.abs(tfOut[i]!));
  }
  notes.push(`${id} ${size}px: export + session ${exportMs.toFixed(0)} ms; features ${JSON.stringify(fx.outputShape)}, max |Δ| vs TF.js ${maxAbs.toExponential(2)} (max |feature| ${scale.toFixed(2)})`);
  const engines: [string, () => Promise<unknown>][] = [
    ['onnxruntime-node (CPU EP, default threads)', () => fx.run(x, batch)],
    ['onnxruntime-node (CPU EP, 1 thread)', () => fx1.run(x, batch)],
    ['TF.js wasm', async () => tf.tidy(() => base.model.predict(tf.tensor(x, [batch, size, size, 3])) as tf.Tensor).data()],
  ];
  for (const [engine, fn] of engines) {
    const ips = await time(fn, runs, batch);
    rows.push({ base: id, inputSize: size, batch, engine, imagesPerSecond: ips, median: median(ips) });
  }
  if (cpuBases.includes(id)) {
    await selectBackend('cpu');
    const ips = await time(async () => tf.tidy(() => base.model.predict(tf.tensor(x, [batch, size, size, 3])) as tf.Tensor).data(), quick ? 1 : 2, batch);
    rows.push({ base: id, inputSize: size, batch, engine: 'TF.js cpu (pure JS)', imagesPerSecond: ips, median: median(ips) });
  }
  await fx.dispose();
  await fx1.dispose();
  base.model.dispose();
}

const cmd = benchCommand('export-throughput.ts', process.argv.slice(2));
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, Node ${process.version}`;
const table = mdTable(
  ['base', 'input', 'batch', 'engine', 'images/s (median)', 'runs', 'vs TF.js wasm'],
  rows.map((r) => {
    const wasm = rows.find((o) => o.base === r.base && o.engine === 'TF.js wasm')!;
    return [r.base, `${r.inputSize}×${r.inputSize}`, r.batch, r.engine, r.median.toFixed(2), r.imagesPerSecond.length, `${(r.median / wasm.median).toFixed(2)}×`];
  }),
);
const md = [
  '# Base forward throughput: onnxruntime-node vs TF.js',
  '',
  'Feature extraction through the cut base (input → cut feature maps), same model, same input, same batch.',
  'ONNX file written by `@headstart/exporter` in memory and opened by `@headstart/inference` (the trainer\'s `createOnnxFeatureExtractor`); TF.js backends selected with the trainer\'s `selectBackend`.',
  '',
  `Command: \`${cmd}\``,
  '',
  `Machine: ${machine} (shared with other jobs; treat ratios, not absolute numbers, as the result).`,
  '',
  table,
  '',
  ...notes.map((n) => `- ${n}`),
  '',
].join('\n');
await writeMarkdown(values.md, md);
process.stdout.write(`${JSON.stringify({ rows, notes }, null, 2)}\n`);
