/** The report's inline SVG charts: training curves (best epoch marked) and the confusion heat map. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** A marked point on a curve chart (x = index into the series). */
export interface CurveMark {
  index: number;
  label: string;
}

/** Line chart of series over epochs (x = global epoch index), phase boundaries dashed, `mark` drawn as a labelled vertical line. */
export function curveSvg(
  title: string,
  series: { name: string; color: string; values: (number | undefined)[] }[],
  boundaries: number[],
  mark?: CurveMark,
): string {
  const W = 640;
  const H = 300;
  const L = 56;
  const P = 36;
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== undefined && Number.isFinite(v)));
  const n = Math.max(1, ...series.map((s) => s.values.length));
  if (all.length === 0) return `<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img"><text x="10" y="20">${esc(title)}: no data</text></svg>`;
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const span = hi - lo || 1;
  const x = (i: number): number => L + (n <= 1 ? 0 : (i * (W - L - P)) / (n - 1));
  const y = (v: number): number => H - P - ((v - lo) / span) * (H - 2 * P);
  const lines = series
    .map((s) => {
      const pts = s.values.map((v, i) => (v === undefined ? '' : `${x(i).toFixed(1)},${y(v).toFixed(1)}`)).filter(Boolean);
      const dots = pts.length <= 60 ? pts.map((p) => `<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2.5" fill="${s.color}"/>`).join('') : '';
      return `<polyline fill="none" stroke="${s.color}" stroke-width="2.5" points="${pts.join(' ')}"/>${dots}`;
    })
    .join('');
  const phases = boundaries.map((b) => `<line x1="${x(b - 0.5)}" x2="${x(b - 0.5)}" y1="${P}" y2="${H - P}" stroke="#999" stroke-dasharray="4 3"/>`).join('');
  const best = mark
    ? `<line class="best" x1="${x(mark.index)}" x2="${x(mark.index)}" y1="${P}" y2="${H - P}" stroke="#2a9d3a" stroke-width="2"/><text x="${Math.min(x(mark.index) + 4, W - 150)}" y="${P + 12}" font-size="12" fill="#2a9d3a">${esc(mark.label)}</text>`
    : '';
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((t) => {
      const v = lo + t * span;
      return `<line x1="${L - 4}" x2="${W - P}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/><text x="${L - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${v.toPrecision(3)}</text>`;
    })
    .join('');
  const xTicks = Array.from({ length: n }, (_, i) => i)
    .filter((i) => n <= 12 || i % Math.ceil(n / 12) === 0 || i === n - 1)
    .map((i) => `<text x="${x(i)}" y="${H - P + 16}" font-size="11" text-anchor="middle">${i + 1}</text>`)
    .join('');
  const legend = series.map((s, i) => `<text x="${L + i * 130}" y="${H - 4}" fill="${s.color}" font-size="13">■ ${esc(s.name)}</text>`).join('');
  return `<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}"><text x="${L}" y="20" font-size="15" font-weight="bold">${esc(title)}</text>
${ticks}<line x1="${L}" y1="${H - P}" x2="${W - P}" y2="${H - P}" stroke="#333"/><line x1="${L}" y1="${P}" x2="${L}" y2="${H - P}" stroke="#333"/>${xTicks}${phases}${best}${lines}${legend}</svg>`;
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
