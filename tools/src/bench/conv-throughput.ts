/**
 * Training throughput of the two-conv CNN (32 and 64 3x3 filters, 28x28 grey, batch 32) on the
 * wasm backend with Headstart's gradient kernels, on the pure-JS cpu backend, and in PyTorch CPU.
 *
 * Usage: nice -n 10 npx tsx tools/src/bench/conv-throughput.ts [--runs 5] [--batches 20]
 *          [--cpu-batches 2] [--cpu-arch pooled,keras] [--arch pooled,keras] [--threads 2] [--no-torch] [--no-cpu]
 *          [--md FILE] (default: a file under the OS temp dir; `npm run bench` puts the result into docs/benchmarks.md)
 * Prints one JSON document on stdout and writes a markdown table (atomically) to --md.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { type BackendName, selectBackend } from '@headstart/trainer';
import { benchCommand, writeMarkdown } from './bench-kit.ts';

type Arch = 'pooled' | 'keras';

interface Measurement {
  framework: string;
  backend: string;
  arch: Arch;
  batchSize: number;
  batchesPerRun: number;
  imagesPerSecond: number[];
  median: number;
  /** Images per second of this process's CPU time (all threads): less sensitive to other load. */
  imagesPerCpuSecond: number[];
  medianPerCpuSecond: number;
  note?: string;
}

/** Rounds to 0.1 above 100 and to 3 significant digits below (the cpu backend is ~1 image/s). */
function round(v: number): number {
  return v >= 100 ? Math.round(v * 10) / 10 : Number(v.toPrecision(3));
}

const ARCH_TEXT: Record<Arch, string> = {
  pooled: 'conv3x3(32,same)+relu → maxpool2 → conv3x3(64,same)+relu → maxpool2 → dense(10)',
  keras: 'conv3x3(32,valid)+relu → conv3x3(64,valid)+relu → maxpool2 → dense(128)+relu → dense(10) (Keras mnist_cnn)',
};

function buildModel(arch: Arch): tf.Sequential {
  const m = tf.sequential();
  if (arch === 'pooled') {
    m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  } else {
    m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }));
    m.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 128, activation: 'relu' }));
    m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  }
  m.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  return m;
}

function progress(line: string): void {
  process.stderr.write(`[conv-throughput] ${line}\n`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

interface Rate {
  wall: number;
  cpu: number;
}

interface TfjsSession {
  runOnce(batches: number): Promise<Rate>;
  finish(rates: Rate[], batches: number): Measurement;
}

/** Builds the model on `backend` and returns a runner; one run = `batches` training steps. */
async function tfjsSession(backend: BackendName, arch: Arch, batchSize: number): Promise<TfjsSession> {
  const report = await selectBackend(backend);
  tf.util.assert(report.name === backend, () => `asked for ${backend}, got ${report.name}`);
  const model = buildModel(arch);
  const x = tf.randomUniform([batchSize, 28, 28, 1]);
  const y = tf.oneHot(tf.randomUniform([batchSize], 0, 10, 'int32') as tf.Tensor1D, 10);
  const step = async () => {
    const loss = (await model.trainOnBatch(x, y)) as number;
    if (!Number.isFinite(loss)) throw new Error(`loss is ${loss} on ${backend}`);
  };
  await step(); // warm-up: kernel setup, weight init, optimizer slots
  const wasmNote = report.wasm ? `simd=${report.wasm.simd}, threads=${report.wasm.threads}, conv gradients: ${report.convGradients}` : undefined;
  return {
    async runOnce(batches) {
      await selectBackend(backend);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      for (let b = 0; b < batches; b++) await step();
      const c = process.cpuUsage(c0);
      const images = batches * batchSize;
      return { wall: images / ((performance.now() - t0) / 1000), cpu: images / ((c.user + c.system) / 1e6) };
    },
    finish(rates, batches) {
      tf.dispose([x, y]);
      model.dispose();
      return {
        framework: `tfjs ${tf.version.tfjs}`,
        backend,
        arch,
        batchSize,
        batchesPerRun: batches,
        imagesPerSecond: rates.map((v) => round(v.wall)),
        median: round(median(rates.map((v) => v.wall))),
        imagesPerCpuSecond: rates.map((v) => round(v.cpu)),
        medianPerCpuSecond: round(median(rates.map((v) => v.cpu))),
        ...(wasmNote ? { note: wasmNote } : {}),
      };
    },
  };
}

function findTorchPython(): string | null {
  for (const py of [process.env.HEADSTART_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p)) {
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
}

/** One PyTorch run (its own warm-up, then `batches` steps) in a child process; images/s. */
function torchRun(py: string, arch: Arch, batches: number, batchSize: number, threads: number): { rate: Rate; version: string } {
  const script = path.resolve(import.meta.dirname, '../../bench/conv_reference.py');
  const out = execFileSync(
    py,
    [script, '--arch', arch, '--runs', '1', '--batches', String(batches), '--batch-size', String(batchSize), '--threads', String(threads)],
    { encoding: 'utf8' },
  );
  const r = JSON.parse(out.trim().split('\n').at(-1) as string) as { version: string; median: number; medianPerCpuSecond: number };
  return { rate: { wall: r.median, cpu: r.medianPerCpuSecond }, version: r.version };
}

function markdown(results: Measurement[], machine: Record<string, unknown>, command: string, torchMissing: string | null): string {
  const lines = [
    '## Convolution training throughput (wasm gradient kernels)',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${String(machine.cpu)} (${String(machine.cores)} logical cores, shared; load average at start ${String(machine.loadavg)}), Node ${process.version}.`,
    '',
    `Command: \`${command}\``,
    '',
    'Training step = forward + backward + Adam update on one batch of random 28×28×1 images (tfjs: `model.trainOnBatch`). ' +
      'Median of the runs; PyTorch and wasm runs alternate so both see the same load on this shared machine. ' +
      '"Per CPU-second" divides by the process CPU time of all its threads (PyTorch: 2 threads), which other load distorts less.',
    '',
    '| network | framework | backend | images/s (median) | runs | vs PyTorch | images per CPU-second (median) | vs PyTorch |',
    '| --- | --- | --- | ---: | --- | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    const torch = results.find((t) => t.arch === r.arch && t.framework.startsWith('pytorch'));
    const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(1)} %`;
    const ratio = torch ? pct(r.median, torch.median) : 'n/a';
    const cpuRatio = torch ? pct(r.medianPerCpuSecond, torch.medianPerCpuSecond) : 'n/a';
    lines.push(
      `| ${r.arch} | ${r.framework} | ${r.backend}${r.note ? ` (${r.note})` : ''} | ${r.median} | ${r.imagesPerSecond.join(', ')} | ${ratio} | ${r.medianPerCpuSecond} | ${cpuRatio} |`,
    );
  }
  lines.push('', 'Networks:', ...(['pooled', 'keras'] as Arch[]).map((a) => `- \`${a}\`: ${ARCH_TEXT[a]}`));
  if (torchMissing) lines.push('', `PyTorch was not measured: ${torchMissing}`);
  lines.push(
    '',
    'How the wasm backend trains convolutions (packages/trainer/src/kernels): tfjs-backend-wasm 4.22 has no',
    '`Conv2DBackpropFilter` nor depthwise backprop kernels, its `Conv2DBackpropInput` is ~8x slower than its',
    'forward conv, and its `MaxPoolGrad` drops the gradient of windows whose maximum is negative.',
    '`registerWasmConvGradients()` registers op-built replacements: conv filter gradients as one matMul per filter',
    'tap over rank-4 slices of the transposed, padded input (strided taps via reshape, never StridedSlice);',
    'depthwise filter gradients as one forward depthwise conv (batch×channel as channels, dy as the filter);',
    'input gradients as a stride-1 forward (depthwise) conv of the zero-spread output gradient with the flipped',
    'filter (XNNPACK speed); MaxPoolGrad for tiling windows by compare-with-upsampled-max, general windows per tap.',
    'The threaded SIMD wasm build cannot start in Node (its workers are blob: URLs, refused with ERR_WORKER_PATH),',
    'so wasm runs single-threaded SIMD; PyTorch uses 2 threads.',
  );
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      batches: { type: 'string', default: '20' },
      'cpu-batches': { type: 'string', default: '2' },
      'cpu-runs': { type: 'string', default: '1' },
      arch: { type: 'string', default: 'pooled,keras' },
      threads: { type: 'string', default: '2' },
      'batch-size': { type: 'string', default: '32' },
      'no-torch': { type: 'boolean', default: false },
      'no-cpu': { type: 'boolean', default: false },
      'cpu-arch': { type: 'string', default: 'pooled,keras' },
      md: { type: 'string', default: path.join(os.tmpdir(), 'headstart-bench', 'conv-throughput.md') },
    },
  });
  const runs = Number(values.runs);
  const batches = Number(values.batches);
  const batchSize = Number(values['batch-size']);
  const threads = Number(values.threads);
  const archs = String(values.arch).split(',') as Arch[];
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown CPU',
    cores: os.cpus().length,
    loadavg: os.loadavg().map((l) => l.toFixed(2)).join(' '),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
  };
  const py = values['no-torch'] ? null : findTorchPython();
  const torchMissing = values['no-torch'] ? 'skipped (--no-torch)' : py ? null : 'python3 with torch not found (apt-get install -y python3-torch)';
  const results: Measurement[] = [];
  for (const arch of archs) {
    // PyTorch and wasm runs alternate, so both see the same (shared, fluctuating) machine load.
    const wasm = await tfjsSession('wasm', arch, batchSize);
    const torchRates: Rate[] = [];
    const wasmRates: Rate[] = [];
    let torchVersion = '';
    for (let r = 0; r < runs; r++) {
      if (py) {
        const t = torchRun(py, arch, batches * 3, batchSize, threads);
        torchRates.push(t.rate);
        torchVersion = t.version;
      }
      wasmRates.push(await wasm.runOnce(batches));
      progress(`${arch} run ${r + 1}/${runs}: torch ${JSON.stringify(torchRates.at(-1) ?? null)} wasm ${JSON.stringify(wasmRates.at(-1))} images/s (wall, per CPU-second)`);
    }
    if (py) {
      results.push({
        framework: `pytorch ${torchVersion}`,
        backend: `cpu, ${threads} threads`,
        arch,
        batchSize,
        batchesPerRun: batches * 3,
        imagesPerSecond: torchRates.map((v) => round(v.wall)),
        median: round(median(torchRates.map((v) => v.wall))),
        imagesPerCpuSecond: torchRates.map((v) => round(v.cpu)),
        medianPerCpuSecond: round(median(torchRates.map((v) => v.cpu))),
      });
    }
    results.push(wasm.finish(wasmRates, batches));
    if (!values['no-cpu'] && String(values['cpu-arch']).split(',').includes(arch)) {
      const cpu = await tfjsSession('cpu', arch, batchSize);
      const cpuRuns = Number(values['cpu-runs']);
      const cpuBatches = Number(values['cpu-batches']);
      const rates: Rate[] = [];
      for (let r = 0; r < cpuRuns; r++) rates.push(await cpu.runOnce(cpuBatches));
      progress(`${arch} cpu backend: ${JSON.stringify(rates)} images/s`);
      results.push(cpu.finish(rates, cpuBatches));
    }
  }
  const command = benchCommand('conv-throughput.ts', process.argv.slice(2));
  const md = path.resolve(String(values.md));
  await writeMarkdown(md, markdown(results, machine, command, torchMissing));
  const goal = archs.map((arch) => {
    const torch = results.find((r) => r.arch === arch && r.framework.startsWith('pytorch'));
    const wasm = results.find((r) => r.arch === arch && r.backend === 'wasm');
    const ratio = (a?: number, b?: number) => (a !== undefined && b ? Math.round((a / b) * 1000) / 1000 : null);
    return {
      arch,
      wasmOverTorch: ratio(wasm?.median, torch?.median),
      wasmOverTorchPerCpuSecond: ratio(wasm?.medianPerCpuSecond, torch?.medianPerCpuSecond),
      goal: 0.2,
    };
  });
  process.stdout.write(`${JSON.stringify({ machine, command, results, goal, markdown: path.relative(process.cwd(), md) }, null, 2)}\n`);
}

await main();
