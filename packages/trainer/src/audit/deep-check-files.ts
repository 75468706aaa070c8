/** The deep check's files: `issues.csv` (one row per finding) and `issues.html` (the same with thumbnails). */
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { thumbnailDataUri, writeFileAtomic } from '@headstart/core-node';
import type { DeepCheckReport, DeepCheckResult } from './deep-check.ts';

/** Columns of issues.csv. */
export const ISSUES_CSV_COLUMNS = ['kind', 'rank', 'path', 'split', 'label', 'suggested', 'given_prob', 'suggested_prob', 'other_path', 'other_split', 'other_label', 'similarity'] as const;

/** issues.csv: suspected label errors (most suspect first), then near-duplicate pairs (most similar first). */
export function issuesCsv(report: DeepCheckReport): string {
  const rows: (string | number)[][] = [[...ISSUES_CSV_COLUMNS]];
  for (const r of report.labelIssues) rows.push(['label', r.rank, r.path, r.split, r.label, r.suggested, r.givenProb.toFixed(4), r.suggestedProb.toFixed(4), '', '', '', '']);
  report.nearDuplicates.forEach((d, i) => rows.push([`near-duplicate:${d.kind}`, i + 1, d.a.path, d.a.split, d.a.label, '', '', '', d.b.path, d.b.split, d.b.label, d.similarity.toFixed(4)]));
  return stringify(rows);
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;

/** A self-contained page (thumbnails inlined as data URIs) to look through the findings. */
export async function issuesHtml(result: DeepCheckResult, opts: { maxRows?: number } = {}): Promise<string> {
  const { report, pixels } = result;
  const max = opts.maxRows ?? 200;
  const thumbs = new Map<string, string>();
  const thumb = async (path: string): Promise<string> => {
    if (!thumbs.has(path)) {
      const px = pixels.get(path);
      thumbs.set(path, px ? await thumbnailDataUri(px.data, px.size[0], px.size[1]) : '');
    }
    const src = thumbs.get(path) ?? '';
    return src ? `<img src="${src}" alt="${esc(path)}" width="96" height="96">` : '';
  };
  const labelRows: string[] = [];
  for (const r of report.labelIssues.slice(0, max)) {
    labelRows.push(`<tr><td>${r.rank}</td><td>${await thumb(r.path)}</td><td><code>${esc(r.path)}</code><br>${esc(r.split)}</td><td>${esc(r.label)} (${pct(r.givenProb)})</td><td><b>${esc(r.suggested)}</b> (${pct(r.suggestedProb)})</td></tr>`);
  }
  const dupRows: string[] = [];
  for (const d of report.nearDuplicates.slice(0, max)) {
    dupRows.push(`<tr><td>${d.similarity.toFixed(3)}</td><td>${esc(d.kind)}</td><td>${await thumb(d.a.path)}<br><code>${esc(d.a.path)}</code><br>${esc(d.a.label)}, ${esc(d.a.split)}</td><td>${await thumb(d.b.path)}<br><code>${esc(d.b.path)}</code><br>${esc(d.b.label)}, ${esc(d.b.split)}</td></tr>`);
  }
  const more = (n: number): string => (n > max ? `<p>… and ${n - max} more in issues.csv</p>` : '');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Headstart deep check: ${esc(report.root)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;max-width:1100px}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.4rem .6rem;text-align:left;vertical-align:top}img{image-rendering:pixelated;border:1px solid #ccc}code{font-size:12px}</style></head><body>
<h1>Deep check of <code>${esc(report.root)}</code></h1>
<p>${report.images} images${report.images < report.totalImages ? ` (a seeded sample of ${report.totalImages})` : ''}, ${report.labels.length} classes. Embeddings: base <code>${esc(report.base)}</code> cut at <code>${esc(report.cut)}</code>, ${esc(report.pooling)} pooling. Out-of-fold accuracy of the ${report.folds}-fold ridge probes: <b>${pct(report.probeAccuracy)}</b> — the suggestions are only as good as this.</p>
<h2>Suspected label errors (${report.labelIssues.length})</h2>
<p>Most suspect first: the probe, trained without the image, gives another label a probability above that label's own typical confidence (confident learning).</p>
<table><thead><tr><th>#</th><th>image</th><th>path, split</th><th>given label</th><th>suggested</th></tr></thead><tbody>${labelRows.join('\n')}</tbody></table>${more(report.labelIssues.length)}
<h2>Near-duplicates (${report.nearDuplicates.length})</h2>
<p>Pairs whose embeddings have cosine similarity ≥ ${report.duplicateSimilarity}; pairs across classes or splits first deserve a look (contradictory labels, leakage between train and val/test).</p>
<table><thead><tr><th>similarity</th><th>kind</th><th>image</th><th>image</th></tr></thead><tbody>${dupRows.join('\n')}</tbody></table>${more(report.nearDuplicates.length)}
</body></html>
`;
}

/** Writes issues.csv and issues.html into `dir`; returns their paths. */
export async function writeDeepCheckFiles(result: DeepCheckResult, dir: string): Promise<{ csv: string; html: string }> {
  const csv = join(dir, 'issues.csv');
  const html = join(dir, 'issues.html');
  await writeFileAtomic(csv, issuesCsv(result.report));
  await writeFileAtomic(html, await issuesHtml(result));
  return { csv, html };
}
