/**
 * Load benchmark of the prediction API on loopback (autocannon), bounded in time:
 * p50/p99 latency and throughput at concurrency 1 and 16, micro-batching on vs off, and the API's
 * p50 against bare onnxruntime inference (and decode + inference) in-process.
 *
 *   nice -n 10 node --import tsx tools/src/bench/api-load.ts [--duration 8] [--rounds 3] [--model m.onnx] [--threads 2] [--out FILE] (default: a file under the OS temp dir; `npm run bench` puts the result into docs/benchmarks.md)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createClassifier } from '@headstart/inference/node';
import { exportBenchModel } from './api-load-model.ts';
import { benchCommand, mdTable, median, writeMarkdown } from './bench-kit.ts';

interface AutocannonResult {
  latency: { p50: number; p99: number; average: number };
  requests: { average: number; total: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    model: { type: 'string' },
    threads: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string', default: join(tmpdir(), 'headstart-bench', 'api-load.md') },
  },
});
const duration = Number(values.duration);
const threads = Number(values.threads);
const rounds = Math.max(1, Number(values.rounds));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function timeLoop(seconds: number, fn: () => Promise<unknown>): Promise<{ p50: number; p99: number; n: number }> {
  const times: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), n: times.length };
}

function startServer(models: string, batch: number, delay: number): Promise<{ child: ChildProcess; url: string }> {
  const main = resolve('apps/api/src/main.ts');
  const args = ['--import', 'tsx', main, '--models', models, '--port', '0', '--max-batch', String(batch), '--max-delay-ms', String(delay), '--queue-size', '256', '--threads', String(threads), '--poll-ms', '0', '--log-level', 'info', '--deadline-ms', '60000'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error('server did not start in 60 s')), 60_000);
    let found = false;
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      if (found) return; // request logs (JSON lines, as in production) are drained unread
      for (const line of chunk.split('\n').filter(Boolean)) {
        const rec = JSON.parse(line) as { url?: string };
        if (rec.url !== undefined) {
          found = true;
          clearTimeout(timer);
          res({ child, url: rec.url });
        }
      }
    });
  });
}

async function main(): Promise<void> {
  const started = new Date().toISOString();
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  const bytes = values.model === undefined ? exportBenchModel() : new Uint8Array(readFileSync(values.model));
  const root = mkdtempSync(join(tmpdir(), 'headstart-bench-'));
  mkdirSync(join(root, 'bench', '1'), { recursive: true });
  writeFileSync(join(root, 'bench', '1', 'model.onnx'), bytes);

  // A 640×480 photo-like JPEG (gradient + noise): decode and resize are part of the API's work.
  const w = 640;
  const h = 480;
  const raw = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    raw[i * 3] = (i % w) % 256;
    raw[i * 3 + 1] = Math.floor(i / w) % 256;
    raw[i * 3 + 2] = (i * 2654435761) >>> 24;
  }
  const jpeg = await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();

  // Bare onnxruntime in this process.
  const clf = await createClassifier(bytes, { threads });
  const [ih, iw] = clf.inputSize;
  const px = new Uint8Array(ih * iw * 3).fill(127);
  const bare = await timeLoop(Math.max(2, duration / 2), () => clf.runPixels(px, 1));
  const bare8 = await timeLoop(Math.max(2, duration / 2), () => clf.runPixels(new Uint8Array(8 * ih * iw * 3).fill(127), 8));
  const classify = await timeLoop(Math.max(2, duration / 2), () => clf.classify(jpeg));
  await clf.dispose();

  // Both servers stay up; configurations are interleaved over rounds and the median row is reported,
  // so drift in background load hits every configuration alike.
  const configs = [
    { label: 'on (max batch 8, max delay 2 ms)', batch: 8, delay: 2 },
    { label: 'off (max batch 1)', batch: 1, delay: 0 },
  ];
  const servers = await Promise.all(configs.map((c) => startServer(root, c.batch, c.delay)));
  const samples = new Map<string, AutocannonResult[]>();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const connections of [1, 16]) {
        for (const [i, c] of configs.entries()) {
          const r = await autocannon({
            url: `${servers[i]!.url}/v1/models/bench/predict`,
            method: 'POST',
            headers: { 'content-type': 'image/jpeg' },
            body: jpeg,
            connections,
            duration,
            timeout: 60,
          });
          const key = `${c.label}|${connections}`;
          samples.set(key, [...(samples.get(key) ?? []), r]);
          process.stderr.write(`round ${round + 1}: ${c.label} c=${connections}: p50 ${r.latency.p50} p99 ${r.latency.p99} req/s ${r.requests.average}\n`);
        }
      }
    }
  } finally {
    for (const s of servers) s.child.kill('SIGTERM');
    await Promise.all(servers.map((s) => new Promise((res) => s.child.once('exit', res))));
  }
  const p50Of = (label: string, connections: number): number => median((samples.get(`${label}|${connections}`) ?? []).map((r) => r.latency.p50));
  const rpsOf = (label: string, connections: number): number => median((samples.get(`${label}|${connections}`) ?? []).map((r) => r.requests.average));
  const rows: (string | number)[][] = [];
  for (const connections of [1, 16]) {
    for (const c of configs) {
      const rs = samples.get(`${c.label}|${connections}`) ?? [];
      const p50 = median(rs.map((r) => r.latency.p50));
      const p99 = median(rs.map((r) => r.latency.p99));
      const rps = median(rs.map((r) => r.requests.average));
      const total = rs.reduce((a, r) => a + r.requests.total, 0);
      const bad = rs.reduce((a, r) => a + r.non2xx + r.errors + r.timeouts, 0);
      const spread = `${Math.min(...rs.map((r) => r.latency.p50))}–${Math.max(...rs.map((r) => r.latency.p50))}`;
      rows.push([c.label, connections, `${p50.toFixed(0)} (${spread})`, p99.toFixed(0), rps.toFixed(1), total, bad]);
    }
  }

  const md = [
    '# Prediction API load benchmark',
    '',
    `Command: \`${benchCommand('api-load.ts', ['--duration', String(duration), '--rounds', String(rounds), '--threads', String(threads), ...(values.model ? ['--model', values.model] : [])], ['--out'])}\` (run at ${started}).`,
    '',
    `- Machine: ${cpus().length}× ${cpus()[0]?.model ?? 'unknown CPU'}, load average at start ${load} (shared with other jobs: numbers are noisy).`,
    `- Model: ${values.model ?? 'MobileNetV2 (nsfwjs bundle, 224×224, 5 classes) exported to ONNX by @headstart/exporter'}, ${(bytes.length / 1e6).toFixed(1)} MB; onnxruntime-node CPU, ${threads} intra-op threads; the API runs each session in a worker thread (its default), the bare rows run in-process.`,
    `- Request: POST /v1/models/bench/predict with a ${w}×${h} JPEG (${(jpeg.length / 1024).toFixed(0)} KiB) as a raw image/jpeg body; server in its own process on loopback; autocannon ${duration} s per run; the two servers run side by side and the configurations are interleaved over ${rounds} rounds: each row is the median run (p50 range over rounds in brackets).`,
    '',
    '## Bare onnxruntime (in-process, no HTTP)',
    '',
    mdTable(
      ['what', 'p50 ms', 'p99 ms', 'runs'],
      [
        ['runPixels, 1 image', bare.p50.toFixed(1), bare.p99.toFixed(1), bare.n],
        ['runPixels, batch of 8 (per call)', bare8.p50.toFixed(1), bare8.p99.toFixed(1), bare8.n],
        ['classify (decode + resize + inference), 1 JPEG', classify.p50.toFixed(1), classify.p99.toFixed(1), classify.n],
      ],
    ),
    '',
    '## Through the API (autocannon)',
    '',
    mdTable(['batching', 'connections', 'p50 ms (range)', 'p99 ms', 'req/s', 'requests (all rounds)', 'non-2xx/errors'], rows),
    '',
    '## Reading it',
    '',
    `- API p50 at concurrency 1: ${p50Of(configs[1]!.label, 1).toFixed(0)} ms (batching off) and ${p50Of(configs[0]!.label, 1).toFixed(0)} ms (on), against bare inference ${bare.p50.toFixed(1)} ms and in-process decode + inference ${classify.p50.toFixed(1)} ms; the API adds HTTP, the JPEG decode/resize and queueing to bare inference. These were measured at different moments on a shared machine, so the comparison is indicative only.`,
    `- On CPU a batch of 8 costs about 8 single runs (${(bare8.p50 / 8).toFixed(1)} ms per image vs ${bare.p50.toFixed(1)} ms in-process); at 16 connections micro-batching measured ${rpsOf(configs[0]!.label, 16).toFixed(1)} vs ${rpsOf(configs[1]!.label, 16).toFixed(1)} req/s without it${rpsOf(configs[0]!.label, 16) > 1.1 * rpsOf(configs[1]!.label, 16) ? ': fewer, larger calls amortise the per-call costs (worker round trip, thread wake-ups on a contended CPU)' : ' (no throughput gain in this run)'}. On GPUs, where batch cost is sublinear, the gain should be larger (not measured: no GPU here).`,
    '- With the load average far above the core count (see above), differences smaller than the p50 ranges are noise: at concurrency 1 batching on and off do the same work (a lone request waits at most the 2 ms batch delay).',
    '- At 16 connections the server is compute-bound: latency ≈ queue length × inference time; the bounded queue (429) and the deadline (504) keep it from growing without limit.',
    '',
  ].join('\n');
  await writeMarkdown(values.out, md);
  process.stderr.write(`wrote ${values.out}\n`);
}

await main();
