/**
 * Runs every benchmark script and regenerates docs/benchmarks.md: machine description, the exact
 * command of each benchmark, and each script's own markdown section (medians, side-by-side ratios).
 *
 * Usage: npm run bench -- [--only conv,transfer,...] [--quick] [--out docs/benchmarks.md] [--list]
 *   --only   run a subset; sections of the others are kept from the existing document
 *   --quick  smoke-test sizes (seconds to a few minutes); writes to a temp file unless --out is given
 *   --collect run nothing; re-render the document from its kept sections and the owners' documents
 *   --jobs N run N benchmarks at once (their times then include each other's load; the document says so)
 * Run it under `nice -n 10` on a shared machine.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { benchCommand, demoteHeadings, parseList, parsePositiveInt, readSections, secs, wrapSection, writeMarkdown } from './bench-kit.ts';
import { describeMachine, machineLine, type MachineInfo } from './machine.ts';

/** One benchmark script known to the runner. */
export interface BenchDef {
  id: string;
  title: string;
  /** File name under tools/src/bench. */
  script: string;
  /** Who maintains the script. */
  owner: string;
  /** The flag through which the script takes the path of the markdown it writes. */
  mdFlag: string;
  /** The owner's own document (its default --md path), collected when this runner did not run the script. */
  doc?: string;
  /** Arguments of the full (documented) run and of the smoke test. */
  full: string[];
  quick: string[];
}

/** Every benchmark, in document order. */
export const BENCHES: BenchDef[] = [
  { id: 'transfer', title: 'Few-shot Fashion-MNIST: transfer vs scratch', script: 'fashion-transfer.ts', owner: 'bench', mdFlag: '--md', full: ['--seeds', '3'], quick: ['--quick'] },
  {
    id: 'defaults',
    title: 'Defaults that win: plain train vs scratch vs hand-set recipes',
    script: 'defaults.ts',
    owner: 'bench',
    mdFlag: '--md',
    full: ['--split'],
    quick: ['--quick', '--split'],
  },
  { id: 'cut-choice', title: 'Choosing the cut on tiny data', script: 'cut-choice.ts', owner: 'trainer advisor', mdFlag: '--md', full: [], quick: ['--quick'] },
  { id: 'split', title: 'Split experiment (classes 0–4 → 5–9)', script: 'split-transfer.ts', owner: 'bench', mdFlag: '--md', full: [], quick: ['--quick'] },
  { id: 'caching', title: 'Caching gains', script: 'caching.ts', owner: 'bench', mdFlag: '--md', full: [], quick: ['--quick'] },
  {
    id: 'conv',
    title: 'Convolution training throughput (wasm kernels vs cpu vs PyTorch)',
    script: 'conv-throughput.ts',
    owner: 'trainer kernels',
    mdFlag: '--md',
    full: [],
    quick: ['--runs', '1', '--batches', '2', '--arch', 'pooled', '--no-torch', '--no-cpu'],
  },
  { id: 'profile', title: 'Training step profile (issue-13 recipe, phase 2)', script: 'step-profile.ts', owner: 'trainer kernels', mdFlag: '--md', full: ['--steps', '3'], quick: ['--steps', '1'] },
  { id: 'recipe', title: 'Issue-13 recipe: headstart train vs PyTorch', script: 'recipe.ts', owner: 'trainer kernels', mdFlag: '--md', full: [], quick: ['--no-torch'] },
  { id: 'export', title: 'ONNX export and inference throughput', script: 'export-throughput.ts', owner: 'exporter', mdFlag: '--md', full: [], quick: ['--quick'] },
  { id: 'label-noise', title: 'Label-error finder on planted noise (check --deep)', script: 'label-noise.ts', owner: 'trainer audit', mdFlag: '--md', full: [], quick: ['--quick'] },
  { id: 'calibration', title: 'Calibration on the demo data (temperature scaling)', script: 'calibration.ts', owner: 'trainer calibration', mdFlag: '--md', full: ['--seeds', '1,2,3'], quick: ['--quick'] },
  { id: 'api', title: 'Prediction API under load', script: 'api-load.ts', owner: 'api', mdFlag: '--out', full: [], quick: ['--duration', '2'] },
  { id: 'browser', title: 'Browser inference latency (the page in Chromium vs onnxruntime-node)', script: 'browser.ts', owner: 'web', mdFlag: '--md', full: [], quick: ['--runs', '2'] },
];

/** Parsed command line of the runner. */
export interface MainArgs {
  only: string[];
  quick: boolean;
  /** Benchmarks run at once (default 1; more distorts absolute times, which the document then says). */
  jobs: number;
  out: string;
  list: boolean;
  /** Run nothing, only re-render (kept sections + owners' documents). */
  collect: boolean;
}

/** Parses the runner's argv; RangeError naming unknown benchmark ids. */
export function parseMainArgs(argv: string[], benches: readonly BenchDef[] = BENCHES): MainArgs {
  const { values } = parseArgs({
    args: argv,
    options: { only: { type: 'string' }, jobs: { type: 'string', default: '1' }, quick: { type: 'boolean', default: false }, out: { type: 'string' }, list: { type: 'boolean', default: false }, collect: { type: 'boolean', default: false } },
    strict: true,
  });
  const known = benches.map((b) => b.id);
  const only = values.only === undefined ? known : parseList(values.only);
  const unknown = only.filter((id) => !known.includes(id));
  if (unknown.length > 0) throw new RangeError(`--only: unknown benchmark ${unknown.join(', ')} (known: ${known.join(', ')})`);
  if (only.length === 0) throw new RangeError('--only: give at least one benchmark id');
  const out = values.out ?? (values.quick ? join(tmpdir(), 'headstart-bench', 'benchmarks-quick.md') : 'docs/benchmarks.md');
  const jobs = parsePositiveInt(values.jobs, '--jobs');
  return { only, quick: values.quick, jobs, out, list: values.list, collect: values.collect };
}

/** The shell command that reproduces one benchmark (what the document prints). */
export function commandFor(b: BenchDef, quick: boolean): string {
  return benchCommand(b.script, quick ? b.quick : b.full);
}

/** Outcome of running one benchmark script. */
export interface BenchOutcome {
  id: string;
  /** `collected`: not run now; the owner's own document was copied in. */
  status: 'ok' | 'failed' | 'missing' | 'collected';
  seconds: number;
  command: string;
  markdown: string;
  error?: string;
  /** Benchmarks that ran at the same time (--jobs > 1). */
  concurrent?: string[];
  date: string;
  loadBefore: number[];
}

/** One section of the document for an outcome (its own markdown with headings demoted under a `##` title). */
export function renderSection(b: BenchDef, o: BenchOutcome): string {
  const head = [
    `## ${b.title}`,
    '',
    `\`${o.command}\` — ${o.status === 'ok' ? `ran ${o.date}, ${secs(o.seconds)} wall, load average at start ${o.loadBefore.map((x) => x.toFixed(2)).join(' ')}${o.concurrent?.length ? `, concurrently with ${o.concurrent.join(', ')} (--jobs)` : ''}` : o.status === 'missing' ? 'script not present in this checkout' : o.status === 'collected' ? `${COLLECTED}: copied from ${o.date}, written by the script's own last run` : `FAILED after ${secs(o.seconds)} (${o.date})`} (maintained by ${b.owner}).`,
    '',
  ];
  // The script's own title repeats the section title: drop it.
  const own = demoteHeadings(o.markdown.trim().replace(/^# [^\n]*\n+/, ''), 2);
  const error = ['```', (o.error ?? '').trim().split('\n').slice(-15).join('\n'), '```'].join('\n');
  const body = o.status === 'ok' || o.status === 'collected' ? own : o.status === 'failed' ? [error, ...(own ? ['', 'Partial results written before it stopped:', '', own] : [])].join('\n') : '';
  return wrapSection(b.id, [...head, body].join('\n'));
}

/** The whole document: header, machine, contents, then a section per benchmark (new ones replace kept ones), then the kept sections recorded by hand. */
export function renderDoc(machine: MachineInfo, benches: readonly BenchDef[], fresh: Map<string, string>, kept: Map<string, string>, quick: boolean): string {
  const generated = benches.map((b) => fresh.get(b.id) ?? (kept.has(b.id) ? wrapSection(b.id, kept.get(b.id) as string) : undefined)).filter((s): s is string => s !== undefined);
  // Sections no benchmark owns (recorded by hand between `<!-- bench:ID -->` markers) stay as they are, after the generated ones.
  const ids = new Set(benches.map((b) => b.id));
  const byHand = [...kept.entries()].filter(([id]) => !ids.has(id));
  const sections = [...generated, ...byHand.map(([id, body]) => wrapSection(id, body))];
  const link = (title: string): string => `- [${title}](#${title.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')})`;
  const lines = [
    '# Benchmarks',
    '',
    'Generated by `nice -n 10 npm run bench` (tools/src/bench/main.ts); do not edit its sections by hand (a section recorded by hand goes between `<!-- bench:ID -->` markers with an id no benchmark has, and is kept). ' +
      '`npm run bench -- --only transfer,caching` re-runs a subset and keeps the other sections; `--quick` is a smoke test.' +
      (quick ? ' **This document was produced with `--quick`: smoke-test sizes, not results.**' : ''),
    '',
    `Last generated on: ${machineLine(machine)}.`,
    '',
    'This machine is shared with other jobs (see the load averages): absolute times are noisy; the claims rest on ratios measured side by side in one run, and on accuracies.',
    '',
    'Contents:',
    '',
    ...benches.filter((b) => fresh.has(b.id) || kept.has(b.id)).map((b) => link(b.title)),
    ...byHand.flatMap(([, body]) => /^## (.+)$/m.exec(body)?.slice(1, 2).map(link) ?? []),
    '',
    ...sections.flatMap((s) => [s, '']),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Marks a section copied from its owner's document (refreshed on every run that does not run it). */
const COLLECTED = 'not run by this command this time';

const NOISE = /is already registered|^\s*$/;

/** Runs one script as a child process (its own TF.js backend), returning its markdown. */
async function runBench(b: BenchDef, quick: boolean, root: string): Promise<BenchOutcome> {
  const script = join(root, 'tools', 'src', 'bench', b.script);
  const command = commandFor(b, quick);
  const date = new Date().toISOString();
  const loadBefore = describeMachine().loadavg;
  if (!existsSync(script)) return { id: b.id, status: 'missing', seconds: 0, command, markdown: '', date, loadBefore };
  const md = join(tmpdir(), 'headstart-bench', `section-${b.id}-${process.pid}.md`);
  mkdirSync(dirname(md), { recursive: true });
  const args = ['--import', 'tsx', script, ...(quick ? b.quick : b.full), b.mdFlag, md];
  const t0 = performance.now();
  const tail: string[] = [];
  const code = await new Promise<number>((res, rej) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.resume();
    child.stderr.setEncoding('utf8');
    let buf = '';
    child.stderr.on('data', (chunk: string) => {
      buf += chunk;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) {
        if (NOISE.test(line)) continue;
        tail.push(line);
        if (tail.length > 40) tail.shift();
        process.stderr.write(`[${b.id}] ${line}\n`);
      }
    });
    child.on('error', rej);
    child.on('close', (c) => res(c ?? 1));
  });
  const seconds = (performance.now() - t0) / 1000;
  // A failed script may still have written partial results: keep them next to the error.
  if (code !== 0 || !existsSync(md)) return { id: b.id, status: 'failed', seconds, command, markdown: existsSync(md) ? readFileSync(md, 'utf8') : '', error: `exit ${code}\n${tail.join('\n')}`, date, loadBefore };
  return { id: b.id, status: 'ok', seconds, command, markdown: readFileSync(md, 'utf8'), date, loadBefore };
}

/** Runs the selected benchmarks and rewrites the document atomically; returns the exit code. */
export async function main(argv: string[], root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')): Promise<number> {
  const args = parseMainArgs(argv);
  if (args.list) {
    for (const b of BENCHES) process.stdout.write(`${b.id.padEnd(9)} ${commandFor(b, args.quick)}\n`);
    return 0;
  }
  const out = resolve(root, args.out);
  const kept = existsSync(out) ? readSections(readFileSync(out, 'utf8')) : new Map<string, string>();
  const fresh = new Map<string, string>();
  let failed = 0;
  // Sections of the document as it is now (another runner may have replaced some meanwhile), then ours;
  // one write at a time, so a later write always holds every section an earlier one did.
  let writing = Promise.resolve();
  const writeDoc = (): Promise<void> =>
    (writing = writing.then(() => {
      const now = existsSync(out) ? readSections(readFileSync(out, 'utf8')) : kept;
      return writeMarkdown(out, renderDoc(describeMachine(), BENCHES, fresh, now, args.quick));
    }));
  const queue = args.collect ? [] : BENCHES.filter((d) => args.only.includes(d.id));
  const running = new Set<string>();
  const worker = async (): Promise<void> => {
    for (let b = queue.shift(); b; b = queue.shift()) {
      process.stderr.write(`== ${b.id}: ${commandFor(b, args.quick)}\n`);
      const others = new Set(running);
      running.add(b.id);
      const ticker = setInterval(() => running.forEach((id) => id !== b?.id && others.add(id)), 1000);
      const o = await runBench(b, args.quick, root);
      clearInterval(ticker);
      running.delete(b.id);
      running.forEach((id) => others.add(id));
      if (others.size > 0) o.concurrent = [...others];
      if (o.status === 'failed') failed++;
      process.stderr.write(`== ${b.id}: ${o.status} in ${secs(o.seconds)}\n`);
      fresh.set(b.id, renderSection(b, o));
      // Write after every benchmark so a long run keeps what it measured if interrupted.
      await writeDoc();
    }
  };
  await Promise.all(Array.from({ length: args.jobs }, () => worker()));
  // Benchmarks neither run now nor kept from an earlier run: copy in their owners' documents.
  for (const b of BENCHES) {
    const keptRun = kept.has(b.id) && !(kept.get(b.id) as string).includes(COLLECTED);
    if (fresh.has(b.id) || keptRun || !b.doc || !existsSync(resolve(root, b.doc))) continue;
    const o: BenchOutcome = { id: b.id, status: 'collected', seconds: 0, command: commandFor(b, false), markdown: readFileSync(resolve(root, b.doc), 'utf8'), date: b.doc, loadBefore: [] };
    fresh.set(b.id, renderSection(b, o));
  }
  await writeDoc();
  process.stderr.write(`wrote ${out}\n`);
  return failed > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
