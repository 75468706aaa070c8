/** `headstart check DIR --deep`: suspected label errors and near-duplicates from the base's embeddings. */
import { basename, resolve } from 'node:path';
import type { DeepCheckResult } from '../ports.ts';
import { table } from './check.ts';

const pct = (v: number): string => `${(v * 100).toFixed(0)}%`;

/** Where the deep check's files go when --out is not given. */
export function defaultDeepCheckDir(data: string): string {
  return `runs/check-${basename(resolve(data)) || 'dataset'}`;
}

/** The terminal part of a deep check: probe quality, the most suspect labels and near-duplicates, where the files are. */
export function formatDeepCheck(result: DeepCheckResult, files: { csv: string; html: string }, opts: { rows?: number } = {}): string {
  const r = result.report;
  const rows = opts.rows ?? 15;
  const lines: string[] = ['', `Deep check: ${r.images} images embedded with ${r.base} (${r.cut}, ${r.pooling} pooling); ${r.folds}-fold probes are right on ${pct(r.probeAccuracy)} out of fold`];
  if (r.labelIssues.length === 0) {
    lines.push('  no suspected label errors');
  } else {
    lines.push(`  ${r.labelIssues.length} suspected label errors, most suspect first:`);
    const head = ['#', 'Image', 'Split', 'Label', 'Suggested'];
    const body = r.labelIssues.slice(0, rows).map((i) => [String(i.rank), i.path, i.split, `${i.label} ${pct(i.givenProb)}`, `${i.suggested} ${pct(i.suggestedProb)}`]);
    lines.push(...table([head, ...body], new Set([0])).map((l) => `    ${l}`));
    if (r.labelIssues.length > rows) lines.push(`    … and ${r.labelIssues.length - rows} more`);
  }
  if (r.nearDuplicates.length === 0) {
    lines.push(`  no near-duplicates (cosine ≥ ${r.duplicateSimilarity})`);
  } else {
    lines.push(`  ${r.nearDuplicates.length} near-duplicate pairs (cosine ≥ ${r.duplicateSimilarity}), most similar first:`);
    const body = r.nearDuplicates.slice(0, rows).map((d) => [d.similarity.toFixed(3), d.kind, `${d.a.path} (${d.a.split})`, `${d.b.path} (${d.b.split})`]);
    lines.push(...table([['Cosine', 'Kind', 'Image', 'Image'], ...body]).map((l) => `    ${l}`));
    if (r.nearDuplicates.length > rows) lines.push(`    … and ${r.nearDuplicates.length - rows} more`);
  }
  lines.push(`  all findings: ${files.csv}`, `  with thumbnails: ${files.html}`);
  return `${lines.join('\n')}\n`;
}
