/**
 * `headstart train --queue` against a real redis-server and two `headstart worker` processes (one
 * SIGKILLed mid-chunk): the feature cache and phase 2's boundary are computed on the workers and
 * the run ends with the local run's numbers. Redis going away gives a clear error naming the resume
 * command. (The gathered arrays themselves are compared in packages/trainer/test/queued-caches.test.ts.)
 */
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from '@headstart/queue/testing';
import { runCli } from './fakes.ts';
import { writeTinyDataset } from './tiny-dataset.ts';
import { startWorker, type WorkerProc } from './worker-procs.ts';

/** A two-conv stand-in base (32×32 input): c1 → r1 → c2 → out, weights from a fixed sequence. */
async function writeTinyBase(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const seq = (n: number, k: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k) * 0.4);
  const weights = [
    { name: 'c1/kernel', shape: [3, 3, 3, 8], values: seq(3 * 3 * 3 * 8, 0.7) },
    { name: 'c1/bias', shape: [8], values: seq(8, 1.3) },
    { name: 'c2/kernel', shape: [3, 3, 8, 8], values: seq(3 * 3 * 8 * 8, 0.37) },
    { name: 'c2/bias', shape: [8], values: seq(8, 2.1) },
  ];
  const conv = (name: string, strides: number) => ({
    name,
    trainable: true,
    dtype: 'float32',
    filters: 8,
    kernel_size: [3, 3],
    strides: [strides, strides],
    padding: 'same',
    data_format: 'channels_last',
    dilation_rate: [1, 1],
    activation: 'linear',
    use_bias: true,
    kernel_initializer: { class_name: 'Zeros', config: {} },
    bias_initializer: { class_name: 'Zeros', config: {} },
  });
  const relu = (name: string) => ({ name, trainable: true, dtype: 'float32', max_value: 6 });
  const layers = [
    { name: 'input_1', class_name: 'InputLayer', config: { batch_input_shape: [null, 32, 32, 3], dtype: 'float32', sparse: false, name: 'input_1' }, inbound_nodes: [] },
    { name: 'c1', class_name: 'Conv2D', config: conv('c1', 2), inbound_nodes: [[['input_1', 0, 0, {}]]] },
    { name: 'r1', class_name: 'ReLU', config: relu('r1'), inbound_nodes: [[['c1', 0, 0, {}]]] },
    { name: 'c2', class_name: 'Conv2D', config: conv('c2', 1), inbound_nodes: [[['r1', 0, 0, {}]]] },
    { name: 'out', class_name: 'ReLU', config: relu('out'), inbound_nodes: [[['c2', 0, 0, {}]]] },
  ];
  const json = {
    format: 'layers-model',
    generatedBy: 'headstart test fixture',
    convertedBy: null,
    modelTopology: { class_name: 'Model', keras_version: '2.2.4', backend: 'tensorflow', config: { name: 'tiny', layers, input_layers: [['input_1', 0, 0]], output_layers: [['out', 0, 0]] } },
    weightsManifest: [{ paths: ['weights.bin'], weights: weights.map(({ name, shape }) => ({ name, shape, dtype: 'float32' })) }],
  };
  const bin = Buffer.concat(weights.map((w) => Buffer.from(w.values.buffer)));
  await writeFile(join(dir, 'weights.bin'), bin);
  await writeFile(join(dir, 'model.json'), JSON.stringify(json));
  return join(dir, 'model.json');
}

let dir = '';
let base = '';
let redis: TestRedis;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-qtrain-'));
  await writeTinyDataset(join(dir, 'data'), 12, 32);
  [base, redis] = await Promise.all([writeTinyBase(join(dir, 'base')), startTestRedis()]);
});
afterAll(async () => {
  await redis?.stop();
});

const train = (out: string, ...extra: string[]) =>
  runCli('train', join(dir, 'data'), '--out', join(dir, out), '--base', base, '--preprocess', 'tf', '--recipe', 'keras', '--backend', 'cpu', '--epochs', '2', '--fine-tune-epochs', '1', '--unfreeze', 'top:1', '--fixed-epochs', '--augment', 'flip,passes=1', '--seed', '7', '--plain', '--no-export', ...extra);

interface RunFiles {
  history: { loss: number; val_loss: number; phase: string }[];
  metrics: Record<string, number>;
  versions: Record<string, string>;
  confusion: number[][];
}
const files = async (out: string): Promise<RunFiles> => {
  const history = (await readFile(join(dir, out, 'history.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as RunFiles['history'][number]);
  const m = JSON.parse(await readFile(join(dir, out, 'headstart.json'), 'utf8')) as { metrics: Record<string, number>; versions: Record<string, string> };
  const report = JSON.parse(await readFile(join(dir, out, 'report.json'), 'utf8')) as { confusion: number[][] };
  return { history, metrics: m.metrics, versions: m.versions, confusion: report.confusion };
};

describe('headstart train --queue with two worker processes', () => {
  it('computes the caches on the workers (one SIGKILLed mid-chunk) and ends with the local run’s numbers', async () => {
    const local = await train('local');
    expect(local.code, local.err + local.out).toBe(0);
    let killed: { w: WorkerProc; job: string } | undefined;
    const workers = [1, 2].map(() =>
      startWorker(redis.url, (w, e) => {
        if (e.event === 'chunk-start' && killed === undefined && e.job) {
          killed = { w, job: e.job };
          w.proc.kill('SIGKILL');
        }
      }),
    );
    const queued = await train('queued', '--queue', redis.url);
    expect(queued.code, queued.err + queued.out).toBe(0);
    expect(queued.out).toContain('caching phase1 features on queue workers');
    expect(local.out).not.toContain('on queue workers');
    const victim = killed as { w: WorkerProc; job: string };
    expect(await victim.w.exited).toBeNull();
    const survivor = workers.find((w) => w !== victim.w) as WorkerProc;
    const done = survivor.events.filter((e) => e.event === 'chunk-done').map((e) => e.job);
    // 36 images: about 28 train (one chunk) and 8 validation (one chunk); the victim's chunk was redone, none twice.
    expect(done).toContain(victim.job);
    expect(done.length).toBe(2);
    expect(new Set(done).size).toBe(done.length);
    expect(survivor.events.filter((e) => e.event === 'chunk-done').every((e) => e.kind === 'features')).toBe(true);

    const l = await files('local');
    const q = await files('queued');
    expect(q.versions['feature-engine']).toBe('onnxruntime-node');
    expect(q.history.map((h) => h.phase)).toEqual(l.history.map((h) => h.phase));
    q.history.forEach((h, i) => {
      expect(Math.abs(h.loss - (l.history[i]?.loss as number))).toBeLessThan(1e-4);
      expect(Math.abs(h.val_loss - (l.history[i]?.val_loss as number))).toBeLessThan(1e-4);
    });
    expect(q.confusion).toEqual(l.confusion);
    for (const k of Object.keys(l.metrics).filter((k) => k !== 'train_seconds')) expect(Math.abs((q.metrics[k] as number) - (l.metrics[k] as number))).toBeLessThan(1e-4);

    survivor.proc.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);
  }, 180_000);

  it('Redis going away mid-run: a clear error naming the resume command, exit 2', async () => {
    const gone = await startTestRedis();
    // No workers: the chunks wait in Redis until it dies under them.
    const run = train('lost', '--queue', gone.url);
    // The trainer keeps finished chunks in this folder: it exists once the prefixes are published and the chunks are being enqueued.
    const keep = join(dir, 'lost', '.queue-features');
    const deadline = Date.now() + 90_000;
    while (!(await stat(keep).catch(() => undefined)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));
    await gone.kill();
    const r = await run;
    expect(r.code).toBe(2);
    expect(r.err + r.out).toMatch(/lost the connection to Redis at redis:\/\/127\.0\.0\.1:\d+/);
    expect(r.err + r.out).toContain('--resume');
    await gone.stop();
  }, 120_000);
});
