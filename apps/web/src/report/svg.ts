import type { HistoryRow } from './parse.ts';

/** SVG pictures of a report as strings (labels escaped), so they are testable without a DOM. */

/** Escapes text for XML content and attributes. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const fmt = (v: number, d = 3): string => (Number.isInteger(v) ? String(v) : v.toFixed(d));

/** Confusion matrix [actual][predicted] as a heat map with counts; cells carry data-actual/data-predicted/data-count. */
export function confusionSvg(labels: string[], m: number[][]): string {
  const n = labels.length;
  const cell = n <= 10 ? 36 : n <= 25 ? 22 : 14;
  const pad = Math.min(140, 12 + 7 * Math.max(...labels.map((l) => l.length)));
  const size = pad + n * cell;
  const rowMax = m.map((row) => Math.max(1, ...row));
  const parts: string[] = [];
  for (let a = 0; a < n; a++) {
    for (let p = 0; p < n; p++) {
      const count = m[a]?.[p] ?? 0;
      const t = count / (rowMax[a] as number);
      const diag = a === p;
      // Blue for correct, orange-red for confusions; light text on dark cells keeps contrast.
      const fill = count === 0 ? '#f4f5f7' : diag ? `rgba(29,78,216,${0.15 + 0.85 * t})` : `rgba(194,65,12,${0.15 + 0.85 * t})`;
      const x = pad + p * cell;
      const y = pad + a * cell;
      parts.push(
        `<g class="cm-cell" data-actual="${esc(labels[a] as string)}" data-predicted="${esc(labels[p] as string)}" data-count="${count}">` +
          `<rect x="${x}" y="${y}" width="${cell - 1}" height="${cell - 1}" fill="${fill}"><title>actual ${esc(labels[a] as string)}, predicted ${esc(labels[p] as string)}: ${count}</title></rect>` +
          (cell >= 22 && count > 0 ? `<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" font-size="11" fill="${t > 0.55 ? '#fff' : '#111'}">${count}</text>` : '') +
          '</g>',
      );
    }
  }
  const axis: string[] = labels.map(
    (l, i) =>
      `<text x="${pad - 6}" y="${pad + i * cell + cell / 2 + 4}" text-anchor="end" font-size="11">${esc(l)}</text>` +
      `<text transform="translate(${pad + i * cell + cell / 2 + 4},${pad - 6}) rotate(-60)" font-size="11">${esc(l)}</text>`,
  );
  return (
    `<svg class="confusion-matrix" role="img" aria-label="Confusion matrix: rows are actual classes, columns predicted" viewBox="0 0 ${size} ${size}" width="${size}" height="${size}" xmlns="http://www.w3.org/2000/svg">` +
    `<text x="2" y="12" font-size="11">actual ↓ / predicted →</text>${axis.join('')}${parts.join('')}</svg>`
  );
}

/** Line chart of one metric pair (train and validation) over all epochs, phases separated by a dashed line. */
export function curveSvg(title: string, rows: HistoryRow[], train: 'loss' | 'acc', val: 'val_loss' | 'val_acc'): string {
  const W = 320;
  const H = 180;
  const L = 40;
  const B = 24;
  const series = [
    { key: train, colour: '#1d4ed8', name: 'train' },
    { key: val, colour: '#c2410c', name: 'validation' },
  ] as const;
  const values = rows.flatMap((r) => series.map((s) => r[s.key]).filter((v): v is number => v !== undefined));
  if (rows.length === 0 || values.length === 0) return '';
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo || 1;
  const xAt = (i: number): number => L + (rows.length === 1 ? (W - L - 8) / 2 : (i * (W - L - 8)) / (rows.length - 1));
  const yAt = (v: number): number => 8 + (1 - (v - lo) / span) * (H - B - 8);
  const lines = series.map((s) => {
    const pts = rows.map((r, i) => (r[s.key] === undefined ? '' : `${xAt(i).toFixed(1)},${yAt(r[s.key] as number).toFixed(1)}`)).filter(Boolean);
    return pts.length ? `<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${pts.join(' ')}"><title>${s.name} ${esc(train)}</title></polyline>` : '';
  });
  const phaseBreaks = rows
    .map((r, i) => (i > 0 && r.phase !== rows[i - 1]?.phase ? `<line x1="${xAt(i - 0.5)}" x2="${xAt(i - 0.5)}" y1="8" y2="${H - B}" stroke="#555" stroke-dasharray="4 3"/>` : ''))
    .join('');
  return (
    `<svg class="curve" role="img" aria-label="${esc(title)}: train (blue) and validation (orange) by epoch" viewBox="0 0 ${W} ${H}" width="100%" xmlns="http://www.w3.org/2000/svg">` +
    `<text x="${L}" y="${H - 4}" font-size="11">epoch (${rows.length})</text>` +
    `<text x="2" y="14" font-size="11">${fmt(hi)}</text><text x="2" y="${H - B}" font-size="11">${fmt(lo)}</text>` +
    `<line x1="${L}" x2="${L}" y1="8" y2="${H - B}" stroke="#333"/><line x1="${L}" x2="${W - 8}" y1="${H - B}" y2="${H - B}" stroke="#333"/>` +
    `${phaseBreaks}${lines.join('')}</svg>`
  );
}
