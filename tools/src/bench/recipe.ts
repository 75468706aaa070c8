/**
 * The issue-13 recipe side by side: `headstart train` (this checkout, and optionally another
 * checkout given with --compare, alternating) and, where `python3 -c "import torch, torchvision"`
 * works, the same recipe in PyTorch (tools/bench/recipe_torch.py, naive and cached). Prints wall
 * times, phase-2 GFLOP/s, ratios, CPU use (user/wall) and peak RSS of each process.
 *
 * Usage: nice -n 10 node --import tsx tools/src/bench/recipe.ts [--runs 1] [--compare DIR] [--threads N]
 *          [--no-torch] [--md FILE]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { selectBackend } from '@headstart/trainer';
import { materialize } from '../fashion-mnist/fashion-mnist.ts';
import { benchCommand, mdTable, writeMarkdown } from './bench-kit.ts';
import { describeMachine, formatLoad } from './machine.ts';
import { RECIPE, recipeTop, topFlops } from './recipe-model.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** What one process of the benchmark cost. */
interface ProcStats {
  wall: number;
  /** User and system CPU seconds of the process and its threads (children waited for included). */
  user: number;
  sys: number;
  peakRssMiB: number;
  load: number[];
}

interface Row extends ProcStats {
  name: string;
  phase1?: number;
  phase2?: number;
  /** User CPU seconds over wall seconds between phase 2's start and end events (headstart only). */
  phase2UserPerWall?: number;
  accuracy?: number;
  note?: string;
}

const TICK = Number((spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout || '100').trim()) || 100;

/** CPU ticks (self + waited-for children) and peak RSS of a live process, from /proc. */
function sample(pid: number): { user: number; sys: number; hwmKiB: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const n = (i: number) => Number(f[i - 3]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { user: (n(14) + n(16)) / TICK, sys: (n(15) + n(17)) / TICK, hwmKiB: hwm };
  } catch {
    return undefined;
  }
}

/**
 * Runs a command, polling its CPU time and peak RSS every 100 ms; resolves with its stdout and, for
 * each `phase-start` / `phase-end` JSON event it prints, the process's user CPU and the time when it arrived.
 */
async function measured(cmd: string, args: string[], cwd: string): Promise<{ stats: ProcStats; stdout: string; code: number; stderr: string; marks: Map<string, { user: number; at: number }> }> {
  const load = describeMachine().loadavg;
  const t0 = performance.now();
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const marks = new Map<string, { user: number; at: number }>();
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
    pending += c;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) {
      const e = /^\{"type":"(phase-start|phase-end)","phase":"(\w+)"/.exec(l);
      const at = performance.now();
      const s = e && child.pid ? sample(child.pid) : undefined;
      if (e && s) marks.set(`${e[1]}:${e[2]}`, { user: s.user, at });
    }
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-4000)));
  let last = { user: 0, sys: 0, hwmKiB: 0 };
  const timer = setInterval(() => {
    const s = child.pid ? sample(child.pid) : undefined;
    // An exited, not yet reaped child (a zombie) has no VmHWM any more: keep the peak seen while it ran.
    if (s) last = { user: Math.max(last.user, s.user), sys: Math.max(last.sys, s.sys), hwmKiB: Math.max(last.hwmKiB, s.hwmKiB) };
  }, 100);
  const code = await new Promise<number>((res) => child.on('close', (c) => res(c ?? 1)));
  clearInterval(timer);
  const wall = (performance.now() - t0) / 1000;
  return { stats: { wall, user: last.user, sys: last.sys, peakRssMiB: last.hwmKiB / 1024, load }, stdout, code, stderr, marks };
}

/** Writes (once) the recipe's folder: train/<class> 200 images per class, val/<class> 20 per class. */
async function recipeData(root: string): Promise<string> {
  const dir = join(root, `recipe-c${RECIPE.classes.join('')}-k${RECIPE.trainPerClass}-v${RECIPE.valPerClass}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  await materialize({ out: join(dir, 'train'), perClass: RECIPE.trainPerClass, classes: RECIPE.classes, seed: 1, split: 'train' });
  await materialize({ out: join(dir, 'val'), perClass: RECIPE.valPerClass, classes: RECIPE.classes, seed: 2, split: 'test' });
  writeFileSync(join(dir, '.complete'), '');
  return dir;
}

type JsonEvent = { type: string; phase?: string; seconds?: number; metrics?: Record<string, number> };

/** `headstart train` of the recipe from the checkout at `root`. */
async function headstart(name: string, root: string, data: string, threads: string | undefined): Promise<Row> {
  const out = mkdtempSync(join(tmpdir(), 'headstart-recipe-'));
  const args = [
    join(root, 'apps', 'cli', 'bin', 'headstart.js'),
    'train',
    data,
    '--out',
    join(out, 'run'),
    '--input-size',
    String(RECIPE.size),
    '--cut',
    'out_relu',
    '--epochs',
    String(RECIPE.epochs1),
    '--fine-tune-epochs',
    String(RECIPE.epochs2),
    '--unfreeze',
    `from:${RECIPE.from}`,
    '--batch-size',
    String(RECIPE.batch),
    '--fixed-epochs',
    '--augment',
    'none',
    '--seed',
    '1',
    '--json',
    ...(threads ? ['--threads', threads] : []),
  ];
  const r = await measured(process.execPath, args, root);
  rmSync(out, { recursive: true, force: true });
  if (r.code !== 0) throw new Error(`${name}: headstart train exited ${r.code}: ${r.stderr.slice(-1500)}`);
  const events = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as JsonEvent);
  const phaseEnd = (p: string) => events.find((e) => e.type === 'phase-end' && e.phase === p)?.seconds;
  const done = events.find((e) => e.type === 'done');
  const acc = done?.metrics?.['val_acc'] ?? done?.metrics?.['test_acc'];
  const p2 = [r.marks.get('phase-start:phase2'), r.marks.get('phase-end:phase2')];
  const phase2UserPerWall = p2[0] && p2[1] ? (p2[1].user - p2[0].user) / ((p2[1].at - p2[0].at) / 1000) : undefined;
  return { name, ...r.stats, ...(phase2UserPerWall !== undefined ? { phase2UserPerWall } : {}), ...(phaseEnd('phase1') !== undefined ? { phase1: phaseEnd('phase1') as number } : {}), ...(phaseEnd('phase2') !== undefined ? { phase2: phaseEnd('phase2') as number } : {}), ...(acc !== undefined ? { accuracy: acc } : {}) };
}

/** The first Python that imports torch and torchvision (a pyenv `python3` may shadow Debian's), or undefined. */
function torchPython(): string | undefined {
  return ['python3', '/usr/bin/python3'].find((py) => spawnSync(py, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0);
}

/** The recipe in PyTorch (`naive`: frozen base recomputed every step; `cached`: features and boundary cached). */
async function torchRun(python: string, mode: 'naive' | 'cached', data: string): Promise<Row> {
  const script = join(ROOT, 'tools', 'bench', 'recipe_torch.py');
  const r = await measured(python, [script, '--data', data, '--mode', mode, '--size', String(RECIPE.size), '--batch', String(RECIPE.batch), '--epochs1', String(RECIPE.epochs1), '--epochs2', String(RECIPE.epochs2), '--threads', '2'], ROOT);
  if (r.code !== 0) throw new Error(`pytorch ${mode} exited ${r.code}: ${r.stderr.slice(-1500)}`);
  const j = JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as { phase1: number; phase2: number; val_acc: number; torch: string };
  return { name: `PyTorch ${j.torch} ${mode}`, ...r.stats, phase1: j.phase1, phase2: j.phase2, accuracy: j.val_acc, note: 'random-init weights (no download): times only' };
}

function f1(v: number | undefined, d = 1): string {
  return v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '1' },
      compare: { type: 'string' },
      threads: { type: 'string' },
      'no-torch': { type: 'boolean', default: false },
      md: { type: 'string' },
    },
  });
  const log = (s: string) => process.stderr.write(`[recipe] ${s}\n`);
  await selectBackend('auto');
  const flops = topFlops(await recipeTop());
  const trainCount = RECIPE.trainPerClass * RECIPE.classes.length;
  const valCount = RECIPE.valPerClass * RECIPE.classes.length;
  const phase2Flops = RECIPE.epochs2 * (trainCount * (flops.forward + flops.backward) + valCount * flops.forward);
  const data = await recipeData(join(tmpdir(), 'headstart-bench'));
  const rows: Row[] = [];
  const runs = Number(values.runs);
  const python = values['no-torch'] ? undefined : torchPython();
  const torch = python !== undefined;
  for (let i = 0; i < runs; i++) {
    // Alternate so that both checkouts see the same load on average.
    const order: [string, string][] = [['this checkout', ROOT]];
    if (values.compare) order.push([`compare (${values.compare})`, resolve(values.compare)]);
    if (i % 2 === 1) order.reverse();
    for (const [name, root] of order) {
      log(`run ${i + 1}: headstart train, ${name}`);
      rows.push(await headstart(name, root, data, name === 'this checkout' ? values.threads : undefined));
    }
    if (torch) {
      for (const mode of ['naive', 'cached'] as const) {
        log(`run ${i + 1}: pytorch ${mode}`);
        rows.push(await torchRun(python as string, mode, data));
      }
    }
  }
  const best = (prefix: string, key: 'wall' | 'phase2') => Math.min(...rows.filter((r) => r.name.startsWith(prefix) || r.name.includes(prefix)).map((r) => r[key] ?? Number.POSITIVE_INFINITY));
  const ours = best('this checkout', 'wall');
  const ours2 = best('this checkout', 'phase2');
  const lines = [
    '# Issue-13 recipe: headstart train vs PyTorch',
    '',
    `Command: \`${benchCommand('recipe.ts', process.argv.slice(2))}\``,
    '',
    `Recipe: Fashion-MNIST t-shirt vs shirt, ${RECIPE.trainPerClass} training + ${RECIPE.valPerClass} validation images per class, ${RECIPE.size} px, MobileNetV2 cut at out_relu, avg head, ` +
      `phase 1 ${RECIPE.epochs1} epochs head only, phase 2 ${RECIPE.epochs2} epochs --unfreeze from:${RECIPE.from}, batch ${RECIPE.batch}, --fixed-epochs, --augment none, seed 1. ` +
      `Phase-2 FLOPs: ${f1(flops.forward / 1e6)} MFLOP forward + ${f1(flops.backward / 1e6)} MFLOP backward per training image, ${f1(phase2Flops / 1e9)} GFLOP in all (validation forward included).`,
    '',
    'CPU = user + system seconds of the process and its threads (from /proc); user/wall ≥ 1 means more than one core busy; phase-2 user/wall is user CPU over wall time between the phase-2 start and end events (headstart only; the target is ≥ 1.7). The machine is shared: see each row\'s load average at its start.',
    '',
    mdTable(
      ['run', 'whole s', 'phase 1 s', 'phase 2 s', 'phase-2 GFLOP/s (wall)', 'CPU s', 'user/wall', 'phase-2 user/wall', 'peak RSS MiB', 'val acc', 'load at start'],
      rows.map((r) => [
        r.name,
        f1(r.wall),
        f1(r.phase1),
        f1(r.phase2),
        r.phase2 ? f1(phase2Flops / 1e9 / r.phase2) : '–',
        f1(r.user + r.sys),
        f1(r.user / r.wall, 2),
        r.phase2UserPerWall !== undefined ? f1(r.phase2UserPerWall, 2) : '–',
        f1(r.peakRssMiB, 0),
        r.accuracy !== undefined ? `${(r.accuracy * 100).toFixed(1)} %` : '–',
        formatLoad(r.load),
      ]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
    '',
    ...(torch
      ? [
          `Ratios (best of runs): whole recipe headstart / PyTorch naive = ${f1(ours / best('naive', 'wall'), 2)} (target ≤ 0.67); ` +
            `phase 2 headstart / PyTorch cached = ${f1(ours2 / best('cached', 'phase2'), 2)} (target ≤ 2).`,
        ]
      : [
          values['no-torch']
            ? 'PyTorch skipped (--no-torch): Headstart rows only.'
            : 'PyTorch not importable here (`python3 -c "import torch, torchvision"` failed): Headstart rows only.',
        ]),
    ...(values.compare ? ['', `Compare: whole recipe this checkout / compare = ${f1(ours / best('compare', 'wall'), 2)}; phase 2 = ${f1(ours2 / best('compare', 'phase2'), 2)}.`] : []),
    '',
  ];
  const md = lines.join('\n');
  await writeMarkdown(values.md ?? join(tmpdir(), 'headstart-bench', 'recipe.md'), md);
  process.stderr.write(`${md}\n`);
}

await main();
