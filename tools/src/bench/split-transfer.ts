/**
 * The classic split experiment: pretrain the scratch CNN on Fashion-MNIST classes 0–4, then transfer
 * it (`base: <that run>`) to classes 5–9 with k images per class, against the scratch CNN trained on
 * the same k images; both evaluated on test images of classes 5–9. Several seeds (subsets), means reported.
 *
 * Usage: nice -n 10 node --import tsx tools/src/bench/split-transfer.ts [--k 5] [--seeds 5]
 *          [--pretrain-per-class 600] [--test-per-class 400] [--quick] [--md out.md]
 * Prints one JSON document on stdout; writes a markdown section (atomically) to --md.
 */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { ScheduleInput, TrainOptions } from '@headstart/trainer';
import { benchCommand, mdTable, mean, median, parseIntList, pct, secs, stdev, writeMarkdown } from './bench-kit.ts';
import { describeMachine, formatLoad, machineLine } from './machine.ts';
import { fashionFolder, timedTrain, type TimedRun } from './timed-train.ts';

const SOURCE = [0, 1, 2, 3, 4] as const;
const TARGET = [5, 6, 7, 8, 9] as const;
/** The head both arms put on their features (the scratch CNN's own head shape). */
const HEAD: NonNullable<TrainOptions['head']> = { kind: 'dense', pooling: 'flatten', dropout: 0.25, blocks: [{ units: 128, activation: 'relu', dropout: 0, batchNorm: false }] };

/** Options of `runSplitTransfer`. */
export interface SplitTransferOptions {
  k: number;
  seeds: number;
  pretrainPerClass: number;
  testPerClass: number;
  work: string;
  quick: boolean;
  log?: (line: string) => void;
}

/** One target subset (seed) with both arms. */
export interface SplitRow {
  seed: number;
  transfer: TimedRun;
  scratch: TimedRun;
}

/** Result of `runSplitTransfer`. */
export interface SplitResult {
  pretrain: TimedRun;
  rows: SplitRow[];
  schedules: { pretrain: ScheduleInput; transfer: ScheduleInput; scratch: ScheduleInput };
}

/** Without a validation split, early stopping watches the training loss: be patient with it. */
const PATIENT = { monitor: 'val_loss', patience: 10, minDelta: 0, restoreBest: true } as const;

/** Schedules of the three trainings (fixed epochs on the tiny target: no validation split to stop on). */
export function splitSchedules(quick: boolean): SplitResult['schedules'] {
  const e = (n: number): number => (quick ? 1 : n);
  return {
    pretrain: { mode: 'scratch', valSplit: 0.1, phase1: { epochs: e(6), learningRate: 1e-3, earlyStopping: { monitor: 'val_loss', patience: 2, minDelta: 0, restoreBest: true } } },
    transfer: {
      valSplit: 0,
      phase1: { epochs: e(60), learningRate: 1e-3, batchSize: 16, earlyStopping: PATIENT },
      phase2: { epochs: e(20), learningRate: 1e-4, batchSize: 16, unfreeze: { kind: 'all' }, earlyStopping: PATIENT },
    },
    scratch: { mode: 'scratch', valSplit: 0, phase1: { epochs: e(80), learningRate: 1e-3, batchSize: 16, earlyStopping: PATIENT } },
  };
}

/** Pretrains once on the source classes, then trains both arms on each seeded target subset. */
export async function runSplitTransfer(o: SplitTransferOptions): Promise<SplitResult> {
  const log = o.log ?? (() => undefined);
  const schedules = splitSchedules(o.quick);
  const src = await fashionFolder({ root: join(o.work, 'data'), k: o.pretrainPerClass, testPerClass: 0, classes: SOURCE, seed: 100 });
  log(`pretrain on classes 0–4, ${o.pretrainPerClass} per class`);
  const pretrain = await timedTrain({ data: src, out: join(o.work, 'runs', `pretrain-${o.pretrainPerClass}`), inputSize: 28, head: HEAD, schedule: { ...schedules.pretrain, seed: 100 } }, log);
  log(`  → ${pct(pretrain.accuracy)} on ${pretrain.testCount} held-out source images, ${secs(pretrain.times.total)}`);
  const rows: SplitRow[] = [];
  for (let seed = 1; seed <= o.seeds; seed++) {
    const data = await fashionFolder({ root: join(o.work, 'data'), k: o.k, testPerClass: o.testPerClass, classes: TARGET, seed });
    log(`seed ${seed}: transfer`);
    const transfer = await timedTrain({ data, out: join(o.work, 'runs', `k${o.k}-s${seed}-transfer`), base: pretrain.runDir, inputSize: 28, head: HEAD, schedule: { ...schedules.transfer, seed } }, log);
    log(`  → ${pct(transfer.accuracy)}; scratch`);
    const scratch = await timedTrain({ data, out: join(o.work, 'runs', `k${o.k}-s${seed}-scratch`), inputSize: 28, head: HEAD, schedule: { ...schedules.scratch, seed } }, log);
    log(`  → ${pct(scratch.accuracy)}`);
    rows.push({ seed, transfer, scratch });
  }
  return { pretrain, rows, schedules };
}

function fitTime(r: TimedRun): number {
  return Object.values(r.times.fit).reduce((a, b) => a + b, 0) + Object.values(r.times.cache).reduce((a, b) => a + b, 0);
}

/** The markdown section of this benchmark. */
export function splitMarkdown(res: SplitResult, o: SplitTransferOptions, command: string, load: { before: number[]; after: number[] }): string {
  const t = res.rows.map((r) => r.transfer.accuracy);
  const s = res.rows.map((r) => r.scratch.accuracy);
  const wins = res.rows.filter((r) => r.transfer.accuracy > r.scratch.accuracy).length;
  const lines = [
    '# Split experiment: pretrain on Fashion-MNIST classes 0–4, transfer to 5–9',
    '',
    `Command: \`${command}\``,
    '',
    `Machine: ${machineLine(describeMachine())}. Load average before ${formatLoad(load.before)}, after ${formatLoad(load.after)}.`,
    '',
    `- Pretraining: scratch CNN (conv32-pool-conv64-pool, flatten, dense 128) at 28 px on ${o.pretrainPerClass} training images per class of classes 0–4 (10 % held out for early stopping): ` +
      `${pct(res.pretrain.accuracy)} on ${res.pretrain.testCount} held-out source images, ${res.pretrain.epochsRun['scratch'] ?? 0} epochs, ${secs(res.pretrain.times.total)}.`,
    `- Target: k = ${o.k} training images per class of classes 5–9 (seeded subsets; no validation split, fixed epochs); test: ${o.testPerClass} test-split images per class (${o.testPerClass * 5}).`,
    '- transfer: `base: <pretrain run>` (its layers below the head, cut at scratch_features), new flatten+dense128 head trained on cached features, then phase 2 unfreezes all at 1e-4.',
    '- scratch: the same CNN and head from random init on the same images.',
    '',
    mdTable(
      ['seed', 'transfer acc', 'scratch acc', 'transfer train time', 'scratch train time'],
      res.rows.map((r) => [r.seed, pct(r.transfer.accuracy), pct(r.scratch.accuracy), secs(fitTime(r.transfer)), secs(fitTime(r.scratch))]),
    ),
    '',
    `**Mean over ${res.rows.length} seeds: transfer ${pct(mean(t))} ± ${pct(stdev(t))}, scratch ${pct(mean(s))} ± ${pct(stdev(s))}** (median ${pct(median(t))} vs ${pct(median(s))}); transfer wins on ${wins} of ${res.rows.length} seeds. ` +
      'PyTorch reference on this machine: transfer 79–80 %, scratch 73–77 %.',
    '',
  ];
  return `${lines.join('\n')}\n`;
}

/** Parses argv and runs the benchmark; returns the exit code. */
export async function cli(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      k: { type: 'string', default: '5' },
      seeds: { type: 'string' },
      'pretrain-per-class': { type: 'string' },
      'test-per-class': { type: 'string' },
      work: { type: 'string', default: join(tmpdir(), 'headstart-bench', 'split-transfer') },
      quick: { type: 'boolean', default: false },
      md: { type: 'string', default: join(tmpdir(), 'headstart-bench', 'split-transfer.md') },
    },
    strict: true,
  });
  const quick = values.quick;
  const one = (v: string | undefined, fallback: string, flag: string): number => parseIntList(v ?? fallback, flag)[0] as number;
  const o: SplitTransferOptions = {
    k: one(values.k, '5', '--k'),
    seeds: one(values.seeds, quick ? '1' : '5', '--seeds'),
    pretrainPerClass: one(values['pretrain-per-class'], quick ? '20' : '600', '--pretrain-per-class'),
    testPerClass: one(values['test-per-class'], quick ? '10' : '400', '--test-per-class'),
    work: resolve(values.work),
    quick,
    log: (line) => process.stderr.write(`${line}\n`),
  };
  const before = describeMachine().loadavg;
  const res = await runSplitTransfer(o);
  const after = describeMachine().loadavg;
  const command = benchCommand('split-transfer.ts', argv);
  const md = resolve(values.md);
  await writeMarkdown(md, splitMarkdown(res, o, command, { before, after }));
  const summary = {
    transferMean: mean(res.rows.map((r) => r.transfer.accuracy)),
    scratchMean: mean(res.rows.map((r) => r.scratch.accuracy)),
    pretrainAccuracy: res.pretrain.accuracy,
  };
  const rows = res.rows.map((r) => ({ seed: r.seed, transfer: r.transfer.accuracy, scratch: r.scratch.accuracy, transferTimes: r.transfer.times, scratchTimes: r.scratch.times }));
  process.stdout.write(`${JSON.stringify({ benchmark: 'split-transfer', command, summary, rows, markdown: md }, null, 2)}\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await cli(process.argv.slice(2));
}
