/** `headstart eval <runDir> [--data <dir>] [--json]`: accuracy, per-class metrics and confusion of a run. */
import { join } from 'node:path';
import type { EvalReport } from '@headstart/core';
import { confusedLines, pct, perClassTable, table } from '../dashboard/format.ts';
import { readTopK, topKOption } from '../options/specs.ts';
import { EXIT } from '../io.ts';
import type { RegisterCommand } from './index.ts';

/** Human-readable lines of an evaluation report. */
export function evalLines(r: EvalReport, reportPath?: string): string[] {
  const topK = Object.entries(r.topK)
    .map(([k, v]) => `  ${k} ${pct(v)}`)
    .join('');
  const short = r.labels.map((l, i) => `${i}`);
  const src = r.source;
  return [
    ...(src ? [`data ${src.data} (${src.split === 'all' ? 'all images' : `${src.split} split`}, ${src.images} images)  model sha256 ${src.modelSha256.slice(0, 12)}`] : []),
    ...(reportPath ? [`report ${reportPath}`] : []),
    `accuracy ${pct(r.accuracy)}${topK}  macro F1 ${r.macroF1.toFixed(3)}  (${r.count} images)`,
    ...(r.ece ? [`calibration error (ECE) ${pct(r.ece.calibrated)}${r.ece.uncalibrated === undefined ? '' : `, ${pct(r.ece.uncalibrated)} without the run's temperature ${r.ece.temperature?.toFixed(3) ?? ''}`}`] : []),
    `labels ${r.labels.map((l, i) => `${i}=${l}`).join(' ')}`,
    '',
    ...perClassTable(r.perClass),
    '',
    'confusion (rows: actual, columns: predicted)',
    ...table(['', ...short], r.confusion.map((row, i) => [`${i} ${r.labels[i] ?? ''}`, ...row.map(String)])),
    ...(r.confusedPairs.length > 0 ? ['', 'most confused (actual → predicted):', ...confusedLines(r.confusedPairs).map((l) => `  ${l}`)] : []),
    ...(r.topLosses.length > 0
      ? ['', 'top losses:', ...r.topLosses.slice(0, 5).map((t) => `  ${t.path ?? `#${t.index}`}  ${t.actual} → ${t.predicted}  loss ${t.loss.toFixed(3)}`)]
      : []),
  ];
}

export const registerEval: RegisterCommand = (program, io, setExit, ports) => {
  const cmd = program
    .command('eval')
    .description('evaluate a finished run on its test/validation split (report.html) or on another dataset (report-<data name>.html beside it)')
    .argument('<runDir>', 'run directory written by `headstart train`')
    .option('--data <dir>', 'dataset to evaluate on (default: the run\'s own held-out split)');
  topKOption(cmd, 'also report top-k accuracy')
    .option('--tta', 'test-time augmentation: classify each image as 4 views (itself, its mirror, two 90 % crops), averaged; reports the accuracy gain and the time it costs (report-tta.html)')
    .option('--json', 'print the report as one JSON object')
    .action(async (runDir: string, flags: { data?: string; topK?: number; topk?: number; tta?: boolean; json?: boolean }) => {
      const trainer = await ports.loadTrainer();
      const report = await trainer.evaluateRun(runDir, {
        ...(flags.data ? { data: flags.data } : {}),
        ...(readTopK(flags) ? { topK: readTopK(flags) } : {}),
        ...(flags.tta ? { tta: true } : {}),
      });
      const reportPath = join(runDir, `${trainer.reportStem(flags.data, flags.tta === true)}.html`);
      const tta = trainer.ttaSummary(report);
      io.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : `${[...evalLines(report, reportPath), ...(tta ? ['', tta] : [])].join('\n')}\n`);
      setExit(EXIT.ok);
    });
};
