/** `headstart check <dir> [--json]`: is this folder of images usable for training? */
import { stat } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { checkDataset, type CheckProblem, type CheckReport } from '@headstart/core-node';
import { EXIT } from '../io.ts';
import { defaultDeepCheckDir, formatDeepCheck } from './check-deep.ts';
import type { RegisterCommand } from './index.ts';

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
};

interface CheckFlags {
  json?: boolean;
  concurrency?: number;
  minSide?: number;
  deep?: boolean;
  base?: string;
  inputSize?: number;
  folds?: number;
  maxImages?: number;
  out?: string;
}

export const registerCheck: RegisterCommand = (program, io, setExit, ports) => {
  program
    .command('check')
    .description('check a dataset before training: undecodable files, non-images, duplicates, leakage, empty or tiny classes, imbalance')
    .argument('<dir>', 'dataset: class-per-folder, train/val/test folders, CSV manifest, or IDX files')
    .option('--json', 'print one JSON object {usable, classes, problems, ...} instead of a table')
    .option('--concurrency <n>', 'images decoded at once', positiveInt, 4)
    .option('--min-side <px>', 'report images with a shorter side below this as tiny', positiveInt, 16)
    .option('--deep', 'also embed every image with the base: suspected label errors (k-fold probes, confident learning) and near-duplicates; writes issues.csv and issues.html')
    .option('--base <id|path>', 'base model of --deep (catalogue id, model.json path/URL or run directory; default mobilenet_v2)')
    .option('--input-size <px>', 'input size of the base for --deep (default: the probes\' size for catalogue bases)', positiveInt)
    .option('--folds <k>', 'folds of the --deep probes (default 5, fewer when a class has fewer images)', positiveInt)
    .option('--max-images <n>', 'images --deep examines at most (default 4000; a seeded sample beyond)', positiveInt)
    .option('--out <dir>', 'where --deep writes issues.csv and issues.html (default runs/check-<folder name>)')
    .addHelpText('after', '\nExit codes: 0 usable (warnings allowed), 1 usage error, 2 not usable.\n\nExample:\n  headstart check data/demo/fashion-mnist')
    .action(async (dir: string, flags: CheckFlags, cmd: Command) => {
      if (!(await stat(dir).catch(() => undefined))) {
        cmd.error(`error: ${dir} does not exist; give the folder (or CSV manifest) of your dataset`, { exitCode: EXIT.usage, code: 'headstart.usage' });
      }
      const tty = (io.stderr as NodeJS.WritableStream & { isTTY?: boolean }).isTTY === true;
      const onProgress = (done: number, total: number): void => {
        if (done === total || done % 50 === 0) io.stderr.write(`\rchecking ${done}/${total} files${done === total ? '\n' : ''}`);
      };
      const report = await checkDataset(dir, {
        concurrency: flags.concurrency ?? 4,
        minSide: flags.minSide ?? 16,
        ...(tty ? { onProgress } : {}),
      });
      if (!flags.deep || !report.usable) {
        io.stdout.write(flags.json ? checkJson(report) : formatCheck(report));
        setExit(report.usable ? EXIT.ok : EXIT.problem);
        return;
      }
      if (!flags.json) io.stdout.write(formatCheck(report));
      const trainer = await ports.loadTrainer();
      const deep = await trainer.deepCheck(dir, {
        ...(flags.base ? { base: flags.base } : {}),
        ...(flags.inputSize ? { inputSize: flags.inputSize } : {}),
        ...(flags.folds ? { folds: flags.folds } : {}),
        ...(flags.maxImages ? { maxImages: flags.maxImages } : {}),
      });
      const files = await trainer.writeDeepCheckFiles(deep, flags.out ?? defaultDeepCheckDir(dir));
      io.stdout.write(flags.json ? `${JSON.stringify({ ...report, deep: { ...deep.report, files } }, null, 2)}\n` : formatDeepCheck(deep, files));
      setExit(EXIT.ok);
    });
};


const WIDE = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1faff}\u{20000}-\u{3fffd}]/u;

/** Terminal columns a string takes (East Asian wide characters count two). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += WIDE.test(ch) ? 2 : 1;
  return w;
}

const pad = (s: string, width: number, right = false): string => {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(s)));
  return right ? fill + s : s + fill;
};

/** Rows of cells as aligned text columns (the last column is not padded). */
export function table(rows: string[][], rightAlign: ReadonlySet<number> = new Set()): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, displayWidth(c))));
  return rows.map((row) =>
    row
      .map((c, i) => (i === row.length - 1 && !rightAlign.has(i) ? c : pad(c, widths[i] ?? 0, rightAlign.has(i))))
      .join('  ')
      .trimEnd(),
  );
}

/** The machine-readable form printed by `headstart check --json`. */
export function checkJson(report: CheckReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** A readable report: class table, problems grouped by code (at most `perCode` each), verdict. */
export function formatCheck(report: CheckReport, opts: { perCode?: number } = {}): string {
  const perCode = opts.perCode ?? 8;
  const lines: string[] = [];
  lines.push(`Dataset ${report.root}${report.layout ? ` (${report.layout})` : ''}`);
  lines.push(`${report.totals.files} ${report.layout === 'idx' ? 'IDX images' : 'files'}: ${report.totals.good} good images, ${report.totals.bad} unusable`);
  const names = Object.keys(report.classes);
  if (names.length > 0) {
    const splitNames = report.splits ? (['train', 'val', 'test'] as const).filter((s) => report.splits?.[s]) : [];
    const head = ['Class', 'Images', ...splitNames, ...(report.classWeights ? ['Weight'] : [])];
    const rows = names.map((n) => [
      n,
      String(report.classes[n] ?? 0),
      ...splitNames.map((s) => String(report.splits?.[s]?.[n] ?? 0)),
      ...(report.classWeights ? [report.classWeights[n] === undefined ? '-' : (report.classWeights[n] ?? 0).toFixed(2)] : []),
    ]);
    const right = new Set(head.map((_, i) => i).filter((i) => i > 0));
    lines.push('', ...table([head, ...rows], right).map((l) => `  ${l}`));
  }
  const count = (s: CheckProblem['severity']) => report.problems.filter((p) => p.severity === s).length;
  if (report.problems.length === 0) {
    lines.push('', 'No problems found.');
  } else {
    lines.push('', `Problems: ${count('error')} errors, ${count('warning')} warnings, ${count('info')} notes`);
    const byCode = new Map<string, CheckProblem[]>();
    for (const p of report.problems) byCode.set(p.code, [...(byCode.get(p.code) ?? []), p]);
    for (const [code, list] of byCode) {
      const sev = list[0]?.severity ?? 'info';
      lines.push(`  ${sev.toUpperCase()} ${code} (${list.length})`);
      for (const p of list.slice(0, perCode)) lines.push(`    ${p.path === '.' ? '(dataset)' : p.path}: ${p.message}`);
      if (list.length > perCode) lines.push(`    … and ${list.length - perCode} more (see --json)`);
    }
  }
  lines.push('', `${report.usable ? '✔' : '✘'} ${report.verdict}`);
  if (!report.usable && report.problems.some((p) => p.severity === 'error')) lines.push('  fix the errors above, then run the check again');
  return `${lines.join('\n')}\n`;
}
