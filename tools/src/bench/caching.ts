/**
 * Caching gains, side by side in one process: the same two-phase run with the trainer's caches
 * (phase 1 on cached base features, phase 2 on cached freeze-boundary activations) and without
 * (`cache: false`: the frozen base recomputed every step, as Keras does), alternating, several times.
 *
 * Usage: nice -n 10 node --import tsx tools/src/bench/caching.ts [--runs 3] [--k 20] [--input-size 96]
 *          [--epochs 3] [--fine-tune-epochs 2] [--unfreeze 20] [--quick] [--md out.md]
 * Prints one JSON document on stdout; writes a markdown section (atomically) to --md.
 */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { benchCommand, mdTable, median, parseIntList, secs, times, writeMarkdown } from './bench-kit.ts';
import { describeMachine, formatLoad, machineLine } from './machine.ts';
import { fashionFolder, timedTrain, type TimedRun } from './timed-train.ts';

/** Options of `runCaching`. */
export interface CachingOptions {
  runs: number;
  k: number;
  inputSize: number;
  epochs: number;
  fineTuneEpochs: number;
  unfreeze: number;
  work: string;
  log?: (line: string) => void;
}

/** Per-arm timings of one repetition. */
export interface CachingPair {
  cached: TimedRun;
  uncached: TimedRun;
}

/** Per-epoch seconds of a phase divided by its batches: seconds per training step. */
export function stepSeconds(r: TimedRun, phase: string): number[] {
  const b = r.times.batches[phase] ?? 0;
  return b > 0 ? (r.times.epochs[phase] ?? []).map((s) => s / b) : [];
}

/** Runs cached and uncached training alternately `runs` times on one seeded Fashion-MNIST subset. */
export async function runCaching(o: CachingOptions): Promise<CachingPair[]> {
  const log = o.log ?? (() => undefined);
  const data = await fashionFolder({ root: join(o.work, 'data'), k: o.k, testPerClass: 0, classes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], seed: 7 });
  const schedule = {
    seed: 7,
    phase1: { epochs: o.epochs, learningRate: 1e-3 },
    phase2: { epochs: o.fineTuneEpochs, learningRate: 1e-5, unfreeze: { kind: 'top' as const, n: o.unfreeze } },
  };
  const pairs: CachingPair[] = [];
  for (let r = 0; r < o.runs; r++) {
    const arm = async (cache: boolean): Promise<TimedRun> => {
      log(`run ${r + 1}/${o.runs}: ${cache ? 'cached' : 'uncached'}`);
      return timedTrain({ data, out: join(o.work, 'runs', `${cache ? 'cached' : 'uncached'}-${r}`), base: 'mobilenet_v2', inputSize: o.inputSize, schedule, cache }, log);
    };
    // Alternate the order so a load change on the shared machine does not favour one arm.
    const first = r % 2 === 0;
    const a = await arm(first);
    const b = await arm(!first);
    pairs.push(first ? { cached: a, uncached: b } : { cached: b, uncached: a });
  }
  return pairs;
}

/** Median seconds per phase-1 epoch, per phase-2 step, and the uncached/cached ratios. */
export function cachingSummary(pairs: CachingPair[]): {
  p1Cached: number;
  p1Uncached: number;
  p1Ratio: number;
  p2StepCached: number;
  p2StepUncached: number;
  p2Ratio: number;
  cacheSeconds: { phase1: number; phase2: number };
  totalCached: number;
  totalUncached: number;
  accuracy: { cached: number; uncached: number };
} {
  const all = (f: (p: CachingPair) => number[]): number[] => pairs.flatMap(f);
  const p1Cached = median(all((p) => p.cached.times.epochs['phase1'] ?? []));
  const p1Uncached = median(all((p) => p.uncached.times.epochs['phase1'] ?? []));
  const p2StepCached = median(all((p) => stepSeconds(p.cached, 'phase2')));
  const p2StepUncached = median(all((p) => stepSeconds(p.uncached, 'phase2')));
  return {
    p1Cached,
    p1Uncached,
    p1Ratio: p1Uncached / p1Cached,
    p2StepCached,
    p2StepUncached,
    p2Ratio: p2StepUncached / p2StepCached,
    cacheSeconds: { phase1: median(pairs.map((p) => p.cached.times.cache['phase1'] ?? 0)), phase2: median(pairs.map((p) => p.cached.times.cache['phase2'] ?? 0)) },
    totalCached: median(pairs.map((p) => p.cached.times.total)),
    totalUncached: median(pairs.map((p) => p.uncached.times.total)),
    accuracy: { cached: median(pairs.map((p) => p.cached.accuracy)), uncached: median(pairs.map((p) => p.uncached.accuracy)) },
  };
}

/** The markdown section of this benchmark. */
export function cachingMarkdown(pairs: CachingPair[], o: CachingOptions, command: string, load: { before: number[]; after: number[] }): string {
  const s = cachingSummary(pairs);
  const first = pairs[0]?.cached;
  const lines = [
    '# Caching: cached features / boundary activations vs recomputing the frozen base',
    '',
    `Command: \`${command}\``,
    '',
    `Machine: ${machineLine(describeMachine())}. Load average before ${formatLoad(load.before)}, after ${formatLoad(load.after)}.`,
    '',
    `Same run twice per repetition, in alternating order, ${pairs.length} repetitions: mobilenet_v2 at ${o.inputSize} px cut at out_relu, avg-pool head, ` +
      `${first?.trainCount ?? '?'} training / ${first?.valCount ?? '?'} validation Fashion-MNIST images (k = ${o.k} per class), batch 32, ` +
      `phase 1 ${o.epochs} epochs, phase 2 ${o.fineTuneEpochs} epochs unfreezing the top ${o.unfreeze} weighted layers, backend ${first?.backend ?? '?'}. ` +
      'Epoch times count training steps only (not validation). Uncached = `train({ cache: false })`: every step runs the frozen base forward, as Keras `fit` does.',
    '',
    mdTable(
      ['measure (median)', 'cached', 'recomputed', 'speed-up'],
      [
        ['phase 1 epoch', secs(s.p1Cached), secs(s.p1Uncached), times(s.p1Ratio)],
        ['phase 2 step (batch of 32)', secs(s.p2StepCached), secs(s.p2StepUncached), times(s.p2Ratio)],
        ['one-time cache extraction, phase 1 / phase 2 (0 = extracted in the phase-1 pass)', `${secs(s.cacheSeconds.phase1)} / ${secs(s.cacheSeconds.phase2)}`, '–', ''],
        ['whole run (prepare, both phases, evaluation)', secs(s.totalCached), secs(s.totalUncached), times(s.totalUncached / s.totalCached)],
        ['validation accuracy at the end', `${(s.accuracy.cached * 100).toFixed(1)} %`, `${(s.accuracy.uncached * 100).toFixed(1)} %`, ''],
      ],
    ),
    '',
    'Per repetition (seconds per phase-1 epoch and per phase-2 step):',
    '',
    mdTable(
      ['rep', 'p1 epoch cached', 'p1 epoch recomputed', 'p2 step cached', 'p2 step recomputed'],
      pairs.map((p, i) => [
        i + 1,
        secs(median(p.cached.times.epochs['phase1'] ?? [])),
        secs(median(p.uncached.times.epochs['phase1'] ?? [])),
        secs(median(stepSeconds(p.cached, 'phase2'))),
        secs(median(stepSeconds(p.uncached, 'phase2'))),
      ]),
    ),
    '',
  ];
  return `${lines.join('\n')}\n`;
}

/** Parses argv and runs the benchmark; returns the exit code. */
export async function cli(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string' },
      k: { type: 'string' },
      'input-size': { type: 'string' },
      epochs: { type: 'string' },
      'fine-tune-epochs': { type: 'string' },
      unfreeze: { type: 'string', default: '20' },
      work: { type: 'string', default: join(tmpdir(), 'headstart-bench', 'caching') },
      quick: { type: 'boolean', default: false },
      md: { type: 'string', default: join(tmpdir(), 'headstart-bench', 'caching.md') },
    },
    strict: true,
  });
  const q = values.quick;
  const one = (v: string | undefined, fallback: string, flag: string): number => parseIntList(v ?? fallback, flag)[0] as number;
  const o: CachingOptions = {
    runs: one(values.runs, q ? '1' : '3', '--runs'),
    k: one(values.k, q ? '4' : '20', '--k'),
    inputSize: one(values['input-size'], q ? '48' : '96', '--input-size'),
    epochs: one(values.epochs, q ? '1' : '3', '--epochs'),
    fineTuneEpochs: one(values['fine-tune-epochs'], q ? '1' : '2', '--fine-tune-epochs'),
    unfreeze: one(values.unfreeze, '20', '--unfreeze'),
    work: resolve(values.work),
    log: (line) => process.stderr.write(`${line}\n`),
  };
  const before = describeMachine().loadavg;
  const pairs = await runCaching(o);
  const after = describeMachine().loadavg;
  const command = benchCommand('caching.ts', argv);
  const md = resolve(values.md);
  await writeMarkdown(md, cachingMarkdown(pairs, o, command, { before, after }));
  process.stdout.write(`${JSON.stringify({ benchmark: 'caching', command, summary: cachingSummary(pairs), pairs: pairs.map((p) => ({ cached: p.cached.times, uncached: p.uncached.times })), markdown: md }, null, 2)}\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await cli(process.argv.slice(2));
}
