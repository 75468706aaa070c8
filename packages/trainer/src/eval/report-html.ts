/**
 * report.html: one self-contained page (no network) a user can send to a colleague — what
 * was measured (data, split, images, model hash), the headline numbers, the run's settings
 * and decision record, training curves with the best epoch marked, the confusion matrix,
 * per-class metrics with example thumbnails, and the top losses as thumbnails.
 */
import type { EvalReport, RunManifest } from '@headstart/core';
import type { EpochRecord } from '../train/fit-loop.ts';
import { pct } from '../format.ts';
import { confusionSvg, curveSvg, esc, type CurveMark } from './report-charts.ts';

export { confusionSvg, curveSvg } from './report-charts.ts';

/** Thumbnails for the page, as data: URIs. */
export interface ReportImages {
  /** Top-loss thumbnails keyed by the sample index of `report.topLosses[i].index`. */
  byIndex: Record<number, string>;
  /** A few examples per class (label order), each with what the model predicted. */
  examples: { label: string; items: { uri: string; predicted: string; path?: string }[] }[];
}

/** Options of renderReportHtml. */
export interface ReportHtmlOptions {
  title: string;
  /** Run settings shown as a table (see runSettings). */
  settings?: Record<string, string>;
  /** The run's decision record (why these settings), shown as given. */
  decision?: unknown;
  images?: ReportImages;
  /** Extra sections (HTML) appended after the top losses, each from its own module (e.g. calibration). */
  sections?: string[];
}

function fmtSchedulePhase(p: RunManifest['schedule']['phase1']): string {
  const es = p.earlyStopping ? `early stopping on ${p.earlyStopping.monitor} (patience ${p.earlyStopping.patience})` : 'fixed epochs';
  return `${p.epochs} epochs, ${p.optimizer} lr ${p.learningRate}, batch ${p.batchSize}, ${es}`;
}

/** The settings of a run as label → text (base, cut, input, head, schedule, augmentation, data). */
export function runSettings(m: RunManifest): Record<string, string> {
  const h = m.head;
  const head =
    h.kind === 'logistic'
      ? `logistic regression on ${h.pooling} pooling`
      : `${h.pooling} pooling${h.standardize ? ', standardised features' : ''}${h.blocks.length ? `, ${h.blocks.map((b) => `dense ${b.units}`).join(', ')}` : ''}, dropout ${h.dropout}`;
  const s = m.schedule;
  const u = s.phase2.unfreeze;
  const unfreeze = u.kind === 'top' ? `top ${u.n} weighted layers` : u.kind === 'from' ? `from ${u.layer}` : u.kind;
  const aug = s.augment
    ? Object.entries(s.augment)
        .filter(([, v]) => v !== false && v !== 0 && v !== 'nearest')
        .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join('–') : typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
        .join(', ')
    : 'none';
  const counts = m.dataset.counts;
  return {
    base: `${m.base.id} (${m.base.source})`,
    cut: m.base.cut,
    input: `${m.preprocess.size[0]}×${m.preprocess.size[1]}, ${m.preprocess.mode} preprocessing, ${m.preprocess.channelOrder}`,
    head,
    ...(s.mode === 'scratch' ? { mode: 'scratch CNN (random init)' } : {}),
    'phase 1': fmtSchedulePhase(s.phase1),
    'phase 2': s.phase2.epochs > 0 && u.kind !== 'none' ? `${fmtSchedulePhase(s.phase2)}; unfreeze ${unfreeze}` : 'skipped',
    augmentation: aug,
    'class weights': typeof s.classWeights === 'string' ? s.classWeights : JSON.stringify(s.classWeights),
    data: `${m.dataset.path} — ${counts.train} train / ${counts.val} val / ${counts.test} test images, ${m.labels.length} classes, seed ${s.seed}`,
    backend: m.backend,
  };
}

/** The epoch training ended on: the lowest val_loss of the last phase (what early stopping restores). */
export function bestEpoch(history: EpochRecord[]): { index: number; record: EpochRecord } | undefined {
  const last = history.at(-1)?.phase;
  let best: { index: number; record: EpochRecord } | undefined;
  history.forEach((record, index) => {
    if (record.phase !== last || record.val_loss === undefined) return;
    if (!best || record.val_loss < (best.record.val_loss as number)) best = { index, record };
  });
  return best;
}

function table(rows: [string, string][]): string {
  return `<table class="kv">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

function decisionBlock(decision: unknown): string {
  if (decision === undefined || decision === null) return '';
  const body =
    typeof decision === 'object' && !Array.isArray(decision)
      ? table(Object.entries(decision as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]))
      : `<pre>${esc(JSON.stringify(decision, null, 2))}</pre>`;
  return `<h2>Why these settings</h2>${body}`;
}

function thumbs(images: ReportImages | undefined, report: EvalReport): { losses: string; examples: string } {
  const losses = report.topLosses
    .map((l) => {
      const uri = images?.byIndex[l.index];
      const img = uri ? `<img src="${uri}" alt="${esc(l.path ?? String(l.index))}">` : '<div class="noimg">no preview</div>';
      return `<figure>${img}<figcaption><b>${esc(l.actual)}</b> → ${esc(l.predicted)}<br>p(actual) ${pct(l.probability)} · loss ${l.loss.toFixed(2)}<br><span class="path">${esc(l.path ?? `#${l.index}`)}</span></figcaption></figure>`;
    })
    .join('');
  const examples = (images?.examples ?? [])
    .map(
      (g) =>
        `<div class="cls"><h3>${esc(g.label)}</h3><div class="grid">${g.items
          .map((it) => `<figure class="${it.predicted === g.label ? 'ok' : 'bad'}"><img src="${it.uri}" alt="${esc(it.path ?? g.label)}"><figcaption>${it.predicted === g.label ? '✓' : `✗ ${esc(it.predicted)}`}</figcaption></figure>`)
          .join('')}</div></div>`,
    )
    .join('');
  return { losses, examples };
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
table{border-collapse:collapse;margin:8px 0 24px}td,th{border:1px solid #ccc;padding:4px 10px;text-align:left;vertical-align:top}
table.kv th{background:#f6f6f6;white-space:nowrap}h2{margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
.headline{font-size:1.3em}.charts{display:flex;gap:24px;flex-wrap:wrap}.charts svg{max-width:100%;height:auto}
.grid,.losses{display:flex;flex-wrap:wrap;gap:10px}figure{margin:0;width:120px;font-size:12px}figure img,.noimg{width:112px;height:112px;object-fit:contain;image-rendering:pixelated;border:2px solid #ddd;background:#fafafa}
figure.ok img{border-color:#6c6}figure.bad img{border-color:#d55}.losses figure img{border-color:#d55}.path{color:#777;word-break:break-all}.cls h3{margin:12px 0 4px}.meta{color:#555}`;

/** The whole self-contained report page. */
export function renderReportHtml(report: EvalReport, history: EpochRecord[], opts: ReportHtmlOptions): string {
  const boundaries = history.map((h, i) => (i > 0 && history[i - 1]?.phase !== h.phase ? i : -1)).filter((i) => i > 0);
  const best = bestEpoch(history);
  const mark: CurveMark | undefined = best ? { index: best.index, label: `best: ${best.record.phase} epoch ${best.record.epoch}` } : undefined;
  const loss = curveSvg('Loss', [
    { name: 'train loss', color: '#1f77b4', values: history.map((h) => h.loss) },
    { name: 'val loss', color: '#ff7f0e', values: history.map((h) => h.val_loss) },
  ], boundaries, mark);
  const acc = curveSvg('Accuracy', [
    { name: 'train acc', color: '#1f77b4', values: history.map((h) => h.acc) },
    { name: 'val acc', color: '#ff7f0e', values: history.map((h) => h.val_acc) },
  ], boundaries, mark);
  const perClass = report.perClass
    .map((c) => `<tr><td>${esc(c.label)}</td><td>${pct(c.precision)}</td><td>${pct(c.recall)}</td><td>${c.f1.toFixed(3)}</td><td>${c.support}</td></tr>`)
    .join('');
  const pairs = report.confusedPairs.slice(0, 10).map((p) => `<tr><td>${esc(p.actual)}</td><td>${esc(p.predicted)}</td><td>${p.count}</td></tr>`).join('');
  const topk = Object.entries(report.topK).map(([k, v]) => `${esc(k)} ${pct(v)}`).join(' · ');
  const src = report.source;
  const measured = src
    ? table([
        ['data', src.data],
        ['split', src.split === 'all' ? 'all images (data other than the run’s own)' : `${src.split} split of the run’s data`],
        ['images', String(src.images)],
        ['model sha256', src.modelSha256],
        ['evaluated', src.evaluatedAt],
      ])
    : '';
  const bestLine = best
    ? `<p>Best epoch: <b>${esc(best.record.phase)} epoch ${best.record.epoch}</b> — val loss ${best.record.val_loss?.toFixed(4)}${best.record.val_acc !== undefined ? `, val acc ${pct(best.record.val_acc)}` : ''} (green line). Dashed lines mark phase changes (${[...new Set(history.map((h) => h.phase))].join(' → ')}).</p>`
    : '<p>No training history for this run.</p>';
  const t = thumbs(opts.images, report);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Headstart report — ${esc(opts.title)}</title>
<style>${STYLE}</style></head><body>
<h1>Headstart evaluation</h1><p class="meta">${esc(opts.title)}</p>
<p class="headline"><b>Accuracy ${pct(report.accuracy)}</b> on ${report.count} images · ${topk} · macro F1 ${report.macroF1.toFixed(3)}</p>
${src ? `<h2>What was measured</h2>${measured}` : ''}
${opts.settings ? `<h2>Settings</h2>${table(Object.entries(opts.settings))}` : ''}
${decisionBlock(opts.decision)}
<h2>Training curves</h2><div class="charts">${loss}${acc}</div>${bestLine}
<h2>Confusion matrix</h2>${confusionSvg(report.labels, report.confusion)}
<h2>Per class</h2><table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>${perClass}</table>
${t.examples ? `<h2>Examples per class</h2><p class="meta">Green: predicted correctly; red: predicted as the class named.</p>${t.examples}` : ''}
<h2>Most confused pairs</h2><table><tr><th>actual</th><th>predicted</th><th>count</th></tr>${pairs || '<tr><td colspan="3">none</td></tr>'}</table>
<h2>Top losses</h2><p class="meta">The images the model got most wrong: often mislabelled, ambiguous or unusual.</p><div class="losses">${t.losses || 'none'}</div>
${(opts.sections ?? []).join('\n')}
</body></html>
`;
}
