/** report.html: training curves and confusion matrix as inline SVG, per-class table, confused pairs, top losses. No network. */
import type { EvalReport } from '@headstart/core';
import type { EpochRecord } from '../train/fit-loop.ts';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

/** Line chart of series over epochs (x = global epoch index). */
export function curveSvg(title: string, series: { name: string; color: string; values: (number | undefined)[] }[], boundaries: number[]): string {
  const W = 420;
  const H = 220;
  const P = 36;
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== undefined && Number.isFinite(v)));
  const n = Math.max(1, ...series.map((s) => s.values.length));
  if (all.length === 0) return `<svg width="${W}" height="${H}" role="img"><text x="10" y="20">${esc(title)}: no data</text></svg>`;
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const span = hi - lo || 1;
  const x = (i: number): number => P + (n <= 1 ? 0 : (i * (W - 2 * P)) / (n - 1));
  const y = (v: number): number => H - P - ((v - lo) / span) * (H - 2 * P);
  const lines = series
    .map((s) => {
      const pts = s.values.map((v, i) => (v === undefined ? '' : `${x(i).toFixed(1)},${y(v).toFixed(1)}`)).filter(Boolean);
      return `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(' ')}"/>`;
    })
    .join('');
  const marks = boundaries.map((b) => `<line x1="${x(b - 0.5)}" x2="${x(b - 0.5)}" y1="${P}" y2="${H - P}" stroke="#999" stroke-dasharray="4 3"/>`).join('');
  const legend = series.map((s, i) => `<text x="${P + i * 110}" y="${H - 8}" fill="${s.color}" font-size="12">${esc(s.name)}</text>`).join('');
  return `<svg width="${W}" height="${H}" role="img" aria-label="${esc(title)}"><text x="${P}" y="18" font-size="13" font-weight="bold">${esc(title)}</text>
<line x1="${P}" y1="${H - P}" x2="${W - P}" y2="${H - P}" stroke="#333"/><line x1="${P}" y1="${P}" x2="${P}" y2="${H - P}" stroke="#333"/>
<text x="2" y="${P + 4}" font-size="10">${hi.toPrecision(3)}</text><text x="2" y="${H - P}" font-size="10">${lo.toPrecision(3)}</text>${marks}${lines}${legend}</svg>`;
}

/** Confusion matrix heat map ([actual][predicted]). */
export function confusionSvg(labels: string[], confusion: number[][]): string {
  const C = labels.length;
  const cell = Math.max(18, Math.min(48, Math.floor(480 / Math.max(1, C))));
  const left = 110;
  const top = 100;
  const max = Math.max(1, ...confusion.flat());
  let cells = '';
  confusion.forEach((row, a) =>
    row.forEach((v, p) => {
      const t = v / max;
      const fill = a === p ? `rgba(30,120,60,${0.15 + 0.85 * t})` : `rgba(200,40,40,${v ? 0.1 + 0.9 * t : 0})`;
      cells += `<rect x="${left + p * cell}" y="${top + a * cell}" width="${cell}" height="${cell}" fill="${fill}" stroke="#ddd"><title>${esc(labels[a] ?? '')} → ${esc(labels[p] ?? '')}: ${v}</title></rect>`;
      if (cell >= 22) cells += `<text x="${left + p * cell + cell / 2}" y="${top + a * cell + cell / 2 + 4}" font-size="10" text-anchor="middle">${v}</text>`;
    }),
  );
  const rowLabels = labels.map((l, i) => `<text x="${left - 4}" y="${top + i * cell + cell / 2 + 4}" font-size="11" text-anchor="end">${esc(l)}</text>`).join('');
  const colLabels = labels
    .map((l, i) => `<text transform="translate(${left + i * cell + cell / 2 + 4},${top - 4}) rotate(-50)" font-size="11">${esc(l)}</text>`)
    .join('');
  const w = left + C * cell + 20;
  const h = top + C * cell + 30;
  return `<svg width="${w}" height="${h}" role="img" aria-label="confusion matrix"><text x="4" y="14" font-size="12">rows: actual, columns: predicted</text>${rowLabels}${colLabels}${cells}</svg>`;
}

/** The whole self-contained report page. */
export function renderReportHtml(report: EvalReport, history: EpochRecord[], opts: { title: string }): string {
  const boundaries = history.map((h, i) => (i > 0 && history[i - 1]?.phase !== h.phase ? i : -1)).filter((i) => i > 0);
  const loss = curveSvg('loss', [
    { name: 'train loss', color: '#1f77b4', values: history.map((h) => h.loss) },
    { name: 'val loss', color: '#ff7f0e', values: history.map((h) => h.val_loss) },
  ], boundaries);
  const acc = curveSvg('accuracy', [
    { name: 'train acc', color: '#1f77b4', values: history.map((h) => h.acc) },
    { name: 'val acc', color: '#ff7f0e', values: history.map((h) => h.val_acc) },
  ], boundaries);
  const perClass = report.perClass
    .map((c) => `<tr><td>${esc(c.label)}</td><td>${pct(c.precision)}</td><td>${pct(c.recall)}</td><td>${c.f1.toFixed(3)}</td><td>${c.support}</td></tr>`)
    .join('');
  const pairs = report.confusedPairs.slice(0, 10).map((p) => `<tr><td>${esc(p.actual)}</td><td>${esc(p.predicted)}</td><td>${p.count}</td></tr>`).join('');
  const losses = report.topLosses
    .map((l) => `<tr><td>${esc(l.path ?? String(l.index))}</td><td>${esc(l.actual)}</td><td>${esc(l.predicted)}</td><td>${l.loss.toFixed(3)}</td><td>${pct(l.probability)}</td></tr>`)
    .join('');
  const topk = Object.entries(report.topK).map(([k, v]) => `${esc(k)} ${pct(v)}`).join(' · ');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Headstart report — ${esc(opts.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0 24px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}h2{margin-top:28px}.charts{display:flex;gap:24px;flex-wrap:wrap}</style></head><body>
<h1>Headstart evaluation</h1><p>${esc(opts.title)}</p>
<p><b>Accuracy ${pct(report.accuracy)}</b> on ${report.count} images · ${topk} · macro F1 ${report.macroF1.toFixed(3)}</p>
<h2>Training curves</h2><div class="charts">${loss}${acc}</div><p>Dashed lines mark phase changes (${[...new Set(history.map((h) => h.phase))].join(' → ') || 'no history'}).</p>
<h2>Confusion matrix</h2>${confusionSvg(report.labels, report.confusion)}
<h2>Per class</h2><table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>${perClass}</table>
<h2>Most confused pairs</h2><table><tr><th>actual</th><th>predicted</th><th>count</th></tr>${pairs || '<tr><td colspan="3">none</td></tr>'}</table>
<h2>Top losses</h2><table><tr><th>image</th><th>actual</th><th>predicted</th><th>loss</th><th>p(actual)</th></tr>${losses}</table>
</body></html>
`;
}
