/**
 * Defaults that win: plain `train` (the measured recipe, exactly what `headstart train DIR` runs)
 * against `--mode scratch` and hand-set recipes on few-shot Fashion-MNIST draws, plus the split
 * experiment through the CLI (a scratch run on classes 0–4 as `--base` for classes 5–9).
 * Training images are seeded draws from the Fashion-MNIST TRAIN file; test images are drawn
 * from the TEST file and never trained on or used for any choice.
 *
 * Usage: nice -n 10 node --import tsx tools/src/bench/defaults.ts [--k 5,10,20,50,100] [--seeds 1,2,3]
 *          [--test-per-class 100] [--variants plain,scratch,hand-advised,hand-scratch28] [--split] [--no-k]
 *          [--quick] [--md out.md] [--jsonl rows.jsonl]
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { TrainOptions } from '@headstart/trainer';
import { benchCommand, mdTable, median, parseIntList, parseList, pct, secs, writeMarkdown } from './bench-kit.ts';
import { describeMachine, formatLoad, machineLine } from './machine.ts';
import { fashionFolder, timedTrain } from './timed-train.ts';

/** The variants: plain defaults, scratch defaults, and hand-set recipes. */
export const DEFAULT_VARIANTS = ['plain', 'scratch', 'hand-advised', 'hand-scratch28'] as const;
type Variant = (typeof DEFAULT_VARIANTS)[number];
const TEXT: Record<Variant, string> = {
  plain: '`headstart train DIR` with no strategy flags: the measured recipe (recipe: measured)',
  scratch: '`headstart train DIR --mode scratch`: the scratch CNN with its defaults (64 px)',
  'hand-advised': 'hand-set: mobilenet_v2 96 px, cut block_12_add, flatten head, standardised, no augmentation, 500 fixed head steps (the configuration the advisor most often printed), no phase 2',
  'hand-scratch28': 'hand-set: scratch CNN at 28 px (native size), early stopping patience 8, up to 40 epochs',
};

/** Flags naming where the benchmark writes (its markdown, rows and working folder): left out of the recorded command. */
export const DEFAULTS_OUTPUT_FLAGS = ['--md', '--jsonl', '--root'] as const;

/** The reproducible command of a run with `argv` (without its output paths). */
export function defaultsCommand(argv: readonly string[]): string {
  return benchCommand('defaults.ts', argv, DEFAULTS_OUTPUT_FLAGS);
}

/** One trained configuration on one draw. */
export interface DefaultsRow {
  k: number;
  seed: number;
  variant: Variant;
  accuracy: number;
  testCount: number;
  seconds: number;
  config: string;
}

function optionsFor(v: Variant, data: string, out: string, quick: boolean): TrainOptions {
  const q = quick ? { phase1: { epochs: 2 }, phase2: { epochs: 1 } } : {};
  switch (v) {
    case 'plain':
      // Quick: a shorter head only (a phase-2 flag would skip the transfer-vs-scratch measurement plain runs).
      return { data, out, recipe: 'measured', ...(quick ? { schedule: { phase1: q.phase1 } } : {}) };
    case 'scratch':
      return { data, out, recipe: 'measured', schedule: { mode: 'scratch', ...q } };
    case 'hand-advised':
      return {
        data,
        out,
        recipe: 'keras',
        inputSize: 96,
        cut: 'block_12_add',
        head: { kind: 'dense', pooling: 'flatten', standardize: true, dropout: 0.2, blocks: [] },
        schedule: { phase1: { epochs: quick ? 2 : 167, earlyStopping: false, reduceOnPlateau: false }, phase2: { epochs: 0, unfreeze: { kind: 'none' } } },
      };
    case 'hand-scratch28':
      return { data, out, recipe: 'keras', inputSize: 28, schedule: { mode: 'scratch', phase1: { epochs: quick ? 2 : 40, earlyStopping: { patience: 8 } } } };
  }
}

async function configOf(runDir: string): Promise<string> {
  const m = JSON.parse(await readFile(join(runDir, 'headstart.json'), 'utf8')) as { base: { id: string; cut: string; inputSize: number[] }; head: { pooling: string; standardize: boolean }; schedule: { phase2: { epochs: number }; augment?: unknown }; decision?: { phase2?: { kept: boolean } } };
  const p2 = m.decision?.phase2 ? (m.decision.phase2.kept ? 'phase 2 kept' : 'phase 2 dropped') : m.schedule.phase2.epochs > 0 && m.base.id !== 'scratch' ? 'phase 2' : 'no phase 2';
  return `${m.base.id} ${m.base.inputSize[0]} px, cut ${m.base.cut}, ${m.head.pooling}${m.head.standardize ? '+std' : ''}${m.schedule.augment ? ', augment' : ''}, ${p2}`;
}

const CLI = fileURLToPath(new URL('../../../apps/cli/bin/headstart.js', import.meta.url));

/** Runs `headstart train` as a user would; returns the done event's metrics and the wall time. */
function cliTrain(args: string[]): { metrics: Record<string, number>; seconds: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'train', ...args, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = (performance.now() - t0) / 1000;
  const done = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string; metrics?: Record<string, number> })
    .find((e) => e.type === 'done');
  if (!done?.metrics) throw new Error(`headstart train ${args.join(' ')} failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  return { metrics: done.metrics, seconds };
}

/** Runs the benchmark and writes its markdown section. */
export async function cli(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      k: { type: 'string', default: '5,10,20,50,100' },
      seeds: { type: 'string', default: '1,2,3' },
      'test-per-class': { type: 'string', default: '100' },
      variants: { type: 'string', default: DEFAULT_VARIANTS.join(',') },
      split: { type: 'boolean', default: false },
      /** Reuse a finished source run as the split experiment's base instead of training one. */
      'split-base': { type: 'string' },
      'no-k': { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      root: { type: 'string', default: join(tmpdir(), 'headstart-bench', 'defaults') },
      md: { type: 'string', default: join(tmpdir(), 'headstart-bench', 'defaults.md') },
      jsonl: { type: 'string' },
    },
  });
  const quick = values.quick === true;
  const ks = values['no-k'] ? [] : quick ? [5] : parseIntList(values.k, '--k');
  const seeds = quick ? [1] : parseIntList(values.seeds, '--seeds');
  const testPer = quick ? 10 : Number(values['test-per-class']);
  const variants = parseList(values.variants) as Variant[];
  const root = resolve(values.root as string);
  const log = (l: string): void => void process.stderr.write(`${l}\n`);
  const loadBefore = formatLoad(loadavg());
  const t0 = performance.now();
  const rows: DefaultsRow[] = [];
  for (const k of ks) {
    for (const seed of seeds) {
      const data = await fashionFolder({ root, k, testPerClass: testPer, classes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], seed });
      for (const v of variants) {
        const out = join(root, 'runs', `k${k}-s${seed}-${v}-${Date.now()}`);
        const r = await timedTrain(optionsFor(v, data, out, quick));
        const row: DefaultsRow = { k, seed, variant: v, accuracy: r.accuracy, testCount: r.testCount, seconds: r.times.total, config: await configOf(r.runDir) };
        rows.push(row);
        log(`k=${k} seed=${seed} ${v}: ${pct(r.accuracy)} on ${r.testCount} test images, ${secs(r.times.total)} (${row.config})`);
        if (values.jsonl) appendFileSync(values.jsonl, `${JSON.stringify(row)}\n`);
      }
    }
  }
  const split: { seed: number; plain: number; scratch: number; plainS: number; scratchS: number }[] = [];
  if (values.split) {
    let baseRun = values['split-base'] ? resolve(values['split-base']) : '';
    if (!baseRun) {
      const source = await fashionFolder({ root, k: quick ? 20 : 600, testPerClass: 0, classes: [0, 1, 2, 3, 4], seed: 11 });
      baseRun = join(root, 'runs', `split-base-${Date.now()}`);
      const b = cliTrain([source, '--out', baseRun, '--mode', 'scratch', '--input-size', '28']);
      log(`split base: scratch on classes 0–4: ${JSON.stringify(b.metrics)} in ${secs(b.seconds)}`);
    }
    for (const seed of seeds) {
      const target = await fashionFolder({ root, k: 5, testPerClass: quick ? 10 : 200, classes: [5, 6, 7, 8, 9], seed });
      const t = cliTrain([target, '--out', join(root, 'runs', `split-t-${seed}-${Date.now()}`), '--base', baseRun]);
      const s = cliTrain([target, '--out', join(root, 'runs', `split-s-${seed}-${Date.now()}`), '--mode', 'scratch']);
      split.push({ seed, plain: t.metrics['test_acc'] ?? Number.NaN, scratch: s.metrics['test_acc'] ?? Number.NaN, plainS: t.seconds, scratchS: s.seconds });
      log(`split seed=${seed}: --base ${pct(t.metrics['test_acc'] ?? Number.NaN)} (${secs(t.seconds)}), scratch ${pct(s.metrics['test_acc'] ?? Number.NaN)} (${secs(s.seconds)})`);
      if (values.jsonl) appendFileSync(values.jsonl, `${JSON.stringify({ split: split[split.length - 1] })}\n`);
    }
  }
  const wall = (performance.now() - t0) / 1000;
  const cmd = defaultsCommand(argv);
  const lines = [`Command: \`${cmd}\` — ${secs(wall)} wall; load average before ${loadBefore}, after ${formatLoad(loadavg())}.`, '', `Machine: ${machineLine(describeMachine())}.`, ''];
  lines.push('Training images: k per class drawn (seeded) from the Fashion-MNIST training file; test: the stated images per class drawn from the test file (never trained on, never used for a choice). Times are wall seconds of the whole `train` call on this shared machine.', '');
  lines.push(...variants.map((v) => `- \`${v}\`: ${TEXT[v]}`), '');
  if (rows.length > 0) {
    lines.push(mdTable(['k', 'seed', 'variant', 'test acc', 'test n', 'wall', 'configuration'], rows.map((r) => [r.k, r.seed, r.variant, pct(r.accuracy), r.testCount, secs(r.seconds), r.config])), '');
    const summary = ks.map((k) => {
      const med = (v: Variant): number => median(rows.filter((r) => r.k === k && r.variant === v).map((r) => r.accuracy));
      const hands = variants.filter((v) => v.startsWith('hand')).map(med);
      const bestHand = hands.length > 0 ? Math.max(...hands) : Number.NaN;
      const p = med('plain');
      const s = med('scratch');
      return [k, pct(p), pct(s), pct(bestHand), `${((p - s) * 100).toFixed(1)}`, `${((p - bestHand) * 100).toFixed(1)}`, p - s >= 0.02 && p >= bestHand - 0.01 ? 'yes' : 'no'];
    });
    lines.push('Median test accuracy over seeds (acceptance: plain − scratch ≥ 2 points and plain ≥ best hand − 1 point):', '', mdTable(['k', 'plain', 'scratch', 'best hand', 'plain − scratch (pts)', 'plain − best hand (pts)', 'holds'], summary), '');
  }
  if (split.length > 0) {
    lines.push('Split experiment through the CLI: base = `headstart train <classes 0–4, 600/class> --mode scratch --input-size 28`; target classes 5–9, 5 per class; `headstart train <target> --base <base run>` vs `headstart train <target> --mode scratch`; test = 200 test-file images per class.', '');
    lines.push(mdTable(['seed', '--base run (plain)', '--mode scratch', 'wall (base / scratch)'], split.map((r) => [r.seed, pct(r.plain), pct(r.scratch), `${secs(r.plainS)} / ${secs(r.scratchS)}`])), '');
    lines.push(`Median: --base ${pct(median(split.map((r) => r.plain)))} vs scratch ${pct(median(split.map((r) => r.scratch)))}.`, '');
  }
  await writeMarkdown(resolve(values.md as string), lines.join('\n'));
  process.stdout.write(`${JSON.stringify({ rows, split })}\n`);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  cli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
