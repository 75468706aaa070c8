/**
 * Profile of one phase-2 training step of the issue-13 recipe (MobileNetV2 at 160 px cut at
 * out_relu, avg head, unfreeze from:block_14_expand, batch 32, BatchNorm pinned to inference):
 * per unfrozen layer the forward and backward time, its FLOPs and GFLOP/s; the whole step; the
 * kernels of one step (tf.profile) and the fixed cost of one kernel call.
 *
 * Usage: nice -n 10 node --import tsx tools/src/bench/step-profile.ts [--steps 5] [--batch 32]
 *          [--size 160] [--from block_14_expand] [--backend wasm] [--engine both|tfjs] [--md FILE] [--json]
 * `--engine both` (default) also times the onnxruntime step engine and prints onnxruntime's own per-node profile.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '@headstart/core';
import { asAdam, DataParallelSteps, FastAdam, OrtStepEngine, selectBackend, type BackendName } from '@headstart/trainer';
import { benchCommand, mdTable, writeMarkdown } from './bench-kit.ts';
import { describeMachine, formatLoad } from './machine.ts';
import { layerFlops, RECIPE, recipeTop, scratchModel, type LayerFlops } from './recipe-model.ts';

interface LayerRow {
  name: string;
  className: string;
  outShape: number[];
  trainable: boolean;
  flops: LayerFlops;
  fwdMs: number;
  bwdMs: number;
  kernelsFwd: number;
  kernelsBwd: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * Median process CPU milliseconds (user + system) and wall milliseconds of `f` over `n` runs after
 * one warm-up: on a shared machine CPU time measures the work, wall time mostly the other jobs
 * (wasm kernels run synchronously on this thread).
 */
function measure(n: number, f: () => void): { cpu: number; wall: number } {
  f();
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { cpu: median(cpu), wall: median(wall) };
}

function timeMs(n: number, f: () => void): number {
  return measure(n, f).cpu;
}

async function kernelCount(f: () => void): Promise<number> {
  const p = await tf.profile(() => {
    f();
  });
  return p.kernels.length;
}

type Layer = ReturnType<tf.LayersModel['getLayer']>;

function applyLayer(layer: Layer, inputs: tf.Tensor[]): tf.Tensor {
  const out = layer.apply(inputs.length === 1 ? (inputs[0] as tf.Tensor) : inputs, { training: true });
  return Array.isArray(out) ? (out[0] as tf.Tensor) : (out as tf.Tensor);
}

/** Per-layer forward/backward timing over the top model's graph with concrete activations. */
async function profileLayers(top: tf.LayersModel, x: tf.Tensor, runs: number): Promise<LayerRow[]> {
  const values = new Map<string, tf.Tensor>();
  const inputName = (top.inputs[0] as tf.SymbolicTensor).sourceLayer.name;
  values.set(inputName, x);
  const rows: LayerRow[] = [];
  for (const layer of top.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const node = (layer as unknown as { inboundNodes: { inboundLayers: { name: string }[] }[] }).inboundNodes.at(-1);
    const ins = (node?.inboundLayers ?? []).map((l) => values.get(l.name) as tf.Tensor);
    const out = tf.tidy(() => applyLayer(layer, ins));
    values.set(layer.name, out);
    const vars = layer.trainable ? layer.trainableWeights.map((w) => w.read()) : [];
    // The boundary input needs no gradient in a real step; every later activation does.
    const xs = [...ins.filter((t) => t !== x), ...vars];
    const dy = tf.randomNormal(out.shape);
    const fwd = () => tf.tidy(() => void applyLayer(layer, ins));
    const both = () => tf.tidy(() => void (xs.length ? tf.engine().gradients(() => tf.sum(tf.mul(applyLayer(layer, ins), dy)) as tf.Scalar, xs) : applyLayer(layer, ins)));
    const fwdMs = timeMs(runs, fwd);
    const bothMs = timeMs(runs, both);
    const kf = await kernelCount(fwd);
    const kb = await kernelCount(both);
    dy.dispose();
    rows.push({
      name: layer.name,
      className: layer.getClassName(),
      outShape: out.shape,
      trainable: layer.trainable && layer.trainableWeights.length > 0,
      flops: layerFlops(layer, ins.map((t) => t.shape), out.shape, ins.some((t) => t !== x)),
      fwdMs,
      bwdMs: Math.max(0, bothMs - fwdMs),
      kernelsFwd: kf,
      kernelsBwd: Math.max(0, kb - kf - 2),
    });
  }
  for (const [k, v] of values) if (v !== x && k !== inputName) v.dispose();
  return rows;
}

/** One full training step as the fit loop runs it (loss, minimize, Adam update). */
function stepFn(top: tf.LayersModel, x: tf.Tensor, y: tf.Tensor1D, opt: tf.Optimizer, classes: number): () => void {
  const vars = top.trainableWeights.map((w) => w.read() as tf.Variable);
  return () => {
    const cost = opt.minimize(
      () =>
        tf.tidy(() => {
          const probs = top.apply(x, { training: true }) as tf.Tensor;
          const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(y, classes), tf.log(tf.clipByValue(probs, 1e-7, 1 - 1e-7))), 1));
          return tf.mean(nll) as tf.Scalar;
        }),
      true,
      vars,
    );
    cost?.dispose();
  };
}

/** Median wall and process-CPU (all threads) milliseconds of a data-parallel step. */
async function parallelStep(top: tf.LayersModel, x: tf.Tensor, y: tf.Tensor1D, classes: number, threads: number, backend: BackendName, n: number): Promise<{ wall: number; cpu: number }> {
  const pool = await DataParallelSteps.start(top, { workers: threads - 1, backend, classes });
  const opt = tf.train.adam(1e-5);
  const labels = Int32Array.from(y.dataSync());
  const seeds = Array.from({ length: threads }, (_, k) => k + 1);
  const once = async (): Promise<void> => {
    const r = await pool.gradients([x], labels, seeds, []);
    opt.applyGradients(r.grads as unknown as Parameters<typeof opt.applyGradients>[0]);
    tf.dispose(Object.values(r.grads));
  };
  await once();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await once();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  await pool.dispose();
  return { wall: median(wall), cpu: median(cpu) };
}

/** Per-layer (forward / backward) and per-op-type milliseconds of one step from onnxruntime's profile. */
interface OrtProfile {
  layers: Map<string, { fwd: number; bwd: number }>;
  ops: Map<string, { n: number; ms: number }>;
  /** Kernel ms per step by op type of the nodes onnxruntime ran on one thread (its scheduling stats: no parallel blocks). */
  serial: Map<string, number>;
  nodes: number;
}

/**
 * Median wall and process-CPU ms of an onnxruntime-engine step as the fit loop runs it (gradients,
 * then the Adam update on Float32Arrays into TF.js's optimizer state), the update's share, and the profile.
 */
async function ortStep(top: tf.LayersModel, x: tf.Tensor, y: tf.Tensor1D, classes: number, n: number): Promise<{ wall: number; cpu: number; adamCpu: number; threads: number; profile: OrtProfile }> {
  const labels = Int32Array.from(y.dataSync());
  const rng = createRng(1);
  const vars = top.trainableWeights.map((w) => w.read() as tf.Variable);
  const adamCpu: number[] = [];
  const run = async (engine: OrtStepEngine, adam: FastAdam): Promise<void> => {
    const r = await engine.gradients([x], labels, rng, adam.weights);
    const c0 = process.cpuUsage();
    adam.step(r.grads);
    const c = process.cpuUsage(c0);
    adamCpu.push((c.user + c.system) / 1000);
  };
  const engine = await OrtStepEngine.create(top, { classes });
  const opt = new FastAdam(asAdam(tf.train.adam(1e-5)) as NonNullable<ReturnType<typeof asAdam>>, vars);
  await run(engine, opt);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run(engine, opt);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  await engine.dispose();
  // A second session with onnxruntime's profiler on: per-node kernel times of `runs` steps after a warm-up.
  const dir = mkdtempSync(join(tmpdir(), 'ort-profile-'));
  const profiled = await OrtStepEngine.create(top, { classes, profile: join(dir, 'step') });
  const runs = 3;
  for (let i = 0; i <= runs; i++) await run(profiled, opt);
  profiled.endProfiling();
  await profiled.dispose();
  opt.close();
  const file = readdirSync(dir).find((f) => f.endsWith('.json'));
  type Stats = { main_thread?: { block_size?: number[] } };
  const events = file ? (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { cat: string; name: string; dur: number; args?: { op_name?: string; thread_scheduling_stats?: Stats } }[]) : [];
  rmSync(dir, { recursive: true, force: true });
  const profile: OrtProfile = { layers: new Map(), ops: new Map(), serial: new Map(), nodes: 0 };
  const names = new Set<string>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const ms = e.dur / 1000 / (runs + 1);
    const node = e.name.slice(0, -'_kernel_time'.length);
    names.add(node);
    const scope = node.split('/')[0] ?? node;
    const bwd = scope.endsWith('_grad');
    const layer = bwd ? scope.slice(0, -'_grad'.length) : scope;
    const l = profile.layers.get(layer) ?? { fwd: 0, bwd: 0 };
    if (bwd) l.bwd += ms;
    else l.fwd += ms;
    profile.layers.set(layer, l);
    const op = e.args?.op_name ?? '?';
    const o = profile.ops.get(op) ?? { n: 0, ms: 0 };
    o.n += 1 / (runs + 1);
    o.ms += ms;
    profile.ops.set(op, o);
    if ((e.args?.thread_scheduling_stats?.main_thread?.block_size ?? []).length === 0) profile.serial.set(op, (profile.serial.get(op) ?? 0) + ms);
  }
  profile.nodes = names.size;
  return { wall: median(wall), cpu: median(cpu), adamCpu: median(adamCpu), threads: availableParallelism(), profile };
}

function fmt(v: number, d = 1): string {
  return v.toFixed(d);
}

function ortLines(ort: Awaited<ReturnType<typeof ortStep>>, rows: LayerRow[], flops: number, tfjsWallMs: number): string[] {
  const byLayer = new Map(rows.map((r) => [r.name, r]));
  const sum = (f: (v: { fwd: number; bwd: number }) => number): number => [...ort.profile.layers.values()].reduce((s, v) => s + f(v), 0);
  const serialMs = [...ort.profile.serial.values()].reduce((s, v) => s + v, 0);
  return [
    '',
    `onnxruntime step engine (one ONNX graph: forward + hand-written VJPs, ${ort.threads} intra-op threads; Adam on the fit loop's FastAdam mirrors): **${fmt(ort.wall)} ms wall**, ` +
      `${fmt(ort.cpu)} CPU ms (all threads; the Adam update ${fmt(ort.adamCpu)} of them) per step → **${fmt(flops / 1e6 / ort.wall, 2)} GFLOP/s wall**; CPU/wall ${fmt(ort.cpu / ort.wall, 2)}; ` +
      `${fmt(tfjsWallMs / ort.wall, 1)}× the TF.js step's wall time in the same run; ${ort.profile.nodes} graph nodes.`,
    '',
    `Per layer on onnxruntime (its profiler, kernel wall ms per step; sum forward ${fmt(sum((v) => v.fwd))} + backward ${fmt(sum((v) => v.bwd))}):`,
    '',
    mdTable(
      ['layer', 'fwd ms', 'fwd GFLOP/s', 'bwd ms', 'bwd GFLOP/s'],
      [...ort.profile.layers.entries()].map(([name, v]) => {
        const f = byLayer.get(name)?.flops;
        const rate = (fl: number | undefined, ms: number): string => (fl ? fmt(fl / 1e6 / Math.max(1e-3, ms)) : '–');
        return [name, fmt(v.fwd, 2), rate(f?.forward, v.fwd), fmt(v.bwd, 2), rate(f?.backward, v.bwd)];
      }),
      ['l', 'r', 'r', 'r', 'r'],
    ),
    '',
    `Kernels onnxruntime ran on one thread (no parallel blocks in its scheduling stats): ${fmt(serialMs, 2)} of ${fmt(sum((v) => v.fwd + v.bwd), 2)} kernel ms per step; ` +
      [...ort.profile.serial.entries()].sort((p, q) => q[1] - p[1]).slice(0, 5).map(([k, ms]) => `${k} ${fmt(ms, 2)}`).join(', ') + '.',
    '',
    'onnxruntime op types of one step (kernel wall ms):',
    '',
    mdTable(
      ['op', 'nodes', 'ms'],
      [...ort.profile.ops.entries()].sort((p, q) => q[1].ms - p[1].ms).slice(0, 15).map(([k, e]) => [k, Math.round(e.n), fmt(e.ms, 2)]),
      ['l', 'r', 'r'],
    ),
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: '5' },
      model: { type: 'string', default: 'recipe' },
      threads: { type: 'string', default: '1' },
      batch: { type: 'string', default: String(RECIPE.batch) },
      size: { type: 'string' },
      from: { type: 'string', default: RECIPE.from },
      backend: { type: 'string', default: 'wasm' },
      engine: { type: 'string', default: 'both' },
      md: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const steps = Number(values.steps);
  const batch = Number(values.batch);
  const size = Number(values.size ?? (values.model === 'scratch' ? 64 : RECIPE.size));
  const report = await selectBackend(values.backend as BackendName);
  const scratch = values.model === 'scratch';
  const classes = scratch ? 10 : 2;
  const top = scratch ? scratchModel(classes, size) : await recipeTop(size, values.from as string);
  const inShape = (top.inputs[0] as tf.SymbolicTensor).shape.slice(1) as number[];
  const x = tf.randomUniform([batch, ...inShape], 0, 6);
  const y = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % classes), 'int32');
  const load0 = describeMachine().loadavg;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();

  const rows = await profileLayers(top, x, steps);
  const opt = tf.train.adam(1e-5);
  const step = stepFn(top, x, y, opt, classes);
  const { cpu: stepMs, wall: stepWallMs } = measure(steps, step);
  const stepProfile = await tf.profile(step);
  const perKernel = new Map<string, { n: number; ms: number }>();
  for (const k of stepProfile.kernels) {
    const e = perKernel.get(k.name) ?? { n: 0, ms: 0 };
    e.n++;
    e.ms += k.kernelTimeMs as number;
    perKernel.set(k.name, e);
  }
  const threads = Number(values.threads);
  const par = threads > 1 ? await parallelStep(top, x, y, classes, threads, report.name, steps) : undefined;
  const ort = values.engine === 'tfjs' ? undefined : await ortStep(top, x, y, classes, steps);
  const a = tf.scalar(1);
  const overheadUs = (timeMs(3, () => {
    for (let i = 0; i < 1000; i++) tf.tidy(() => void tf.add(a, a));
  }) * 1000) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const wall = (performance.now() - wall0) / 1000;

  const flopsFwd = rows.reduce((s, r) => s + r.flops.forward, 0);
  const flopsBwd = rows.reduce((s, r) => s + r.flops.backward, 0);
  const sumFwd = rows.reduce((s, r) => s + r.fwdMs, 0);
  const sumBwd = rows.reduce((s, r) => s + r.bwdMs, 0);
  const backendText = `${report.name}${report.wasm ? ` (simd ${report.wasm.simd}, threads ${report.wasm.threads})` : ''}, conv gradients ${report.convGradients}`;
  const lines = [
    '# Training step profile',
    '',
    `Command: \`${benchCommand('step-profile.ts', process.argv.slice(2))}\``,
    '',
    `Model: ${scratch ? `scratch CNN (--mode scratch), ${classes} classes` : `recipe phase 2 (unfreeze from:${values.from})`}. Backend ${backendText}; batch ${batch}, ${size} px; median of ${steps} runs each; load ${formatLoad(load0)} at start, ` +
      `process CPU ${fmt((cpu.user + cpu.system) / 1e6)} s user+sys over ${fmt(wall)} s wall (user/wall ${fmt(cpu.user / 1e6 / wall, 2)}).`,
    '',
    'Times are process CPU milliseconds (user + system; the machine is shared, so wall time mostly measures other jobs) unless marked wall.',
    '',
    `Whole step (forward + backward + Adam): **${fmt(stepMs)} CPU ms** (${fmt(stepWallMs)} ms wall), ${fmt((flopsFwd + flopsBwd) / 1e9, 2)} GFLOP ` +
      `(${fmt((flopsFwd / batch) / 1e6)} MFLOP forward per image) → **${fmt((flopsFwd + flopsBwd) / 1e6 / stepMs, 2)} GFLOP per CPU second**; ` +
      `${stepProfile.kernels.length} kernel calls; one trivial kernel call costs ${fmt(overheadUs, 1)} µs ` +
      `(${fmt((stepProfile.kernels.length * overheadUs) / 1000, 1)} ms of the step).`,
    ...(par
      ? [
          '',
          `Data-parallel step on ${threads} threads (${threads - 1} step worker${threads > 2 ? 's' : ''}, gradients summed): **${fmt(par.wall)} ms wall**, ${fmt(par.cpu)} CPU ms (all threads) per step → ` +
            `${fmt((flopsFwd + flopsBwd) / 1e6 / par.wall, 2)} GFLOP/s wall; CPU/wall ${fmt(par.cpu / par.wall, 2)}; single-thread wall in the same run ${fmt(stepWallMs)} ms.`,
        ]
      : []),
    ...(ort ? ortLines(ort, rows, flopsFwd + flopsBwd, stepWallMs) : []),
    '',
    `Per layer (sum forward ${fmt(sumFwd)} ms + backward ${fmt(sumBwd)} ms; backward = gradients of the layer's inputs and trainable weights):`,
    '',
    mdTable(
      ['layer', 'class', 'output', 'fwd CPU ms', 'fwd GFLOP/s', 'bwd CPU ms', 'bwd GFLOP/s', 'kernels fwd/bwd'],
      rows.map((r) => [
        r.name,
        r.className,
        r.outShape.slice(1).join('×'),
        fmt(r.fwdMs, 2),
        r.flops.forward ? fmt(r.flops.forward / 1e6 / r.fwdMs) : '–',
        fmt(r.bwdMs, 2),
        r.flops.backward ? fmt(r.flops.backward / 1e6 / Math.max(1e-3, r.bwdMs)) : '–',
        `${r.kernelsFwd}/${r.kernelsBwd}`,
      ]),
      ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    'Kernels of one step (tf.profile, wall ms; Headstart gradient kernels include the kernels they call):',
    '',
    mdTable(
      ['kernel', 'calls', 'ms'],
      [...perKernel.entries()].sort((p, q) => q[1].ms - p[1].ms).slice(0, 20).map(([k, e]) => [k, e.n, fmt(e.ms, 1)]),
      ['l', 'r', 'r'],
    ),
    '',
  ];
  const md = lines.join('\n');
  await writeMarkdown(values.md ?? join(tmpdir(), 'headstart-bench', 'step-profile.md'), md);
  process.stderr.write(`${md}\n`);
  if (values.json) process.stdout.write(`${JSON.stringify({ stepMs, stepWallMs, flops: flopsFwd + flopsBwd, rows, kernels: Object.fromEntries(perKernel), overheadUs })}\n`);
}

await main();
