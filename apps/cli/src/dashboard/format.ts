/** Pure text formatting shared by the Ink view and the plain-line reporter. */
import type { EpochRow } from './state.ts';

const SPARKS = '▁▂▃▄▅▆▇█';

/** Unicode sparkline of the last `width` values (NaN/undefined shown as a space). */
export function sparkline(values: ReadonlyArray<number | undefined>, width = 24): string {
  const tail = values.slice(-Math.max(1, width));
  const finite = tail.filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (finite.length === 0) return '';
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const span = hi - lo;
  return tail
    .map((v) => {
      if (v === undefined || !Number.isFinite(v)) return ' ';
      const i = span === 0 ? 3 : Math.round(((v - lo) / span) * (SPARKS.length - 1));
      return SPARKS[i];
    })
    .join('');
}

/** A fixed-width progress bar, e.g. `██████░░░░`. */
export function bar(done: number, total: number, width: number): string {
  const w = Math.max(1, Math.floor(width));
  const frac = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const full = Math.round(frac * w);
  return '█'.repeat(full) + '░'.repeat(w - full);
}

/** Seconds as `m:ss` or `h:mm:ss`. */
export function duration(sec: number | undefined): string {
  if (sec === undefined || !Number.isFinite(sec) || sec < 0) return '--:--';
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

/** A metric to 4 decimals, or `-`. */
export function num(v: number | undefined, digits = 4): string {
  return v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);
}

/** A fraction as a percentage with one decimal. */
export function pct(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '-' : `${(v * 100).toFixed(1)}%`;
}

/** Learning rate in short scientific form (1e-5, 2.5e-4). */
export function lr(v: number): string {
  return v >= 0.01 ? String(Number(v.toPrecision(3))) : v.toExponential(1).replace('.0e', 'e');
}

/** Short phase tag: p1, p2, scratch. */
export function phaseTag(phase: string): string {
  return phase === 'phase1' ? 'p1' : phase === 'phase2' ? 'p2' : phase;
}

/** One finished epoch as a log line; when it would not fit in `width` columns, a compact form (short names, 3 decimals). */
export function epochLine(r: EpochRow, width = Infinity): string {
  const ep = `${phaseTag(r.phase)} epoch ${String(r.epoch).padStart(String(r.epochs).length)}/${r.epochs}`;
  const val = r.val_loss !== undefined || r.val_acc !== undefined ? `  val_loss ${num(r.val_loss)}  val_acc ${num(r.val_acc)}` : '';
  const full = `${ep}  loss ${num(r.loss)}  acc ${num(r.acc)}${val}  lr ${lr(r.learningRate)}  ${r.seconds.toFixed(1)}s${r.best ? '  * best' : ''}`;
  if (full.length <= width) return full;
  const hasVal = r.val_loss !== undefined || r.val_acc !== undefined;
  const short = `${phaseTag(r.phase)} ${r.epoch}/${r.epochs} loss ${num(r.loss, 3)} acc ${num(r.acc, 3)}${hasVal ? ` vloss ${num(r.val_loss, 3)} vacc ${num(r.val_acc, 3)}` : ''} lr ${lr(r.learningRate)} ${r.seconds.toFixed(1)}s${r.best ? ' *' : ''}`;
  return short.length <= width ? short : `${short.slice(0, Math.max(1, width - 1))}…`;
}

/** Rows of a plain text table with padded columns (first column left-aligned, the rest right). */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)];
}

/** Per-class precision/recall/F1 as table lines. */
export function perClassTable(perClass: ReadonlyArray<{ label: string; precision: number; recall: number; f1: number; support: number }>): string[] {
  return table(
    ['class', 'precision', 'recall', 'f1', 'support'],
    perClass.map((c) => [c.label, num(c.precision, 3), num(c.recall, 3), num(c.f1, 3), String(c.support)]),
  );
}

/** Most confused pairs as lines `actual → predicted  N`. */
export function confusedLines(pairs: ReadonlyArray<{ actual: string; predicted: string; count: number }>, max = 5): string[] {
  return pairs.slice(0, max).map((p) => `${p.actual} → ${p.predicted}  ${p.count}`);
}

/** Bytes as megabytes with one decimal. */
export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** `[#####-----] 4.2 / 9.0 MB` (or just the bytes so far when the size is unknown). */
export function downloadBar(received: number, total: number | undefined, width: number): string {
  return total ? `${bar(received, total, width)} ${(received / 1e6).toFixed(1)} / ${mb(total)}` : `${mb(received)} so far`;
}
