import { writeFileAtomic } from '@headstart/core-node';
/** Pure helpers shared by the benchmark scripts: statistics, number formatting, markdown tables and doc sections. */

/** Median of a non-empty list (mean of the two middle values for even lengths); NaN for an empty list. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Arithmetic mean; NaN for an empty list. */
export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n − 1); 0 for fewer than two values. */
export function stdev(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

/** `0.7234` → `72.3 %`. */
export function pct(x: number, digits = 1): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(digits)} %` : '–';
}

/** Seconds with a sensible precision: `0.0123` → `0.012 s`, `12.34` → `12.3 s`. */
export function secs(x: number): string {
  if (!Number.isFinite(x)) return '–';
  return `${x < 0.1 ? x.toFixed(3) : x < 10 ? x.toFixed(2) : x.toFixed(1)} s`;
}

/** A ratio as `3.4×`. */
export function times(x: number): string {
  return Number.isFinite(x) ? `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}×` : '–';
}

/** Column alignment of {@link mdTable}: `r` right-aligns (numbers), `l` is the default. */
export type Align = 'l' | 'r';

/** A GitHub-flavoured markdown table; cells have `|` escaped and newlines flattened; `align` per column (default left). */
export function mdTable(header: readonly string[], rows: readonly (readonly (string | number)[])[], align: readonly Align[] = []): string {
  const cell = (v: string | number): string => String(v).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const widthOk = rows.every((r) => r.length === header.length);
  if (!widthOk) throw new RangeError(`mdTable: every row needs ${header.length} cells`);
  if (align.length > header.length) throw new RangeError(`mdTable: ${align.length} alignments for ${header.length} columns`);
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `|${header.map((_, i) => (align[i] === 'r' ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

/** Comma list → trimmed non-empty items (`'a, b,'` → `['a','b']`). */
export function parseList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** One positive integer; RangeError naming the flag on anything else. */
export function parsePositiveInt(text: string | undefined, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${flag}: '${text ?? ''}' is not a positive integer`);
  return n;
}

/** Comma list of positive integers; RangeError naming the flag on anything else. */
export function parseIntList(text: string | undefined, flag: string): number[] {
  return parseList(text).map((s) => parsePositiveInt(s, flag));
}

/** Pushes every markdown heading down by `levels` (`# A` → `## A`), leaving fenced code alone. */
export function demoteHeadings(md: string, levels = 1): string {
  let fenced = false;
  return md
    .split('\n')
    .map((line) => {
      if (/^\s*```/.test(line)) fenced = !fenced;
      if (fenced || !/^#{1,6}\s/.test(line)) return line;
      return `${'#'.repeat(levels)}${line}`;
    })
    .join('\n');
}

const OPEN = (id: string): string => `<!-- bench:${id} -->`;
const CLOSE = (id: string): string => `<!-- /bench:${id} -->`;

/** Wraps a section in markers so a later partial run (`--only`) can replace just that section. */
export function wrapSection(id: string, body: string): string {
  return `${OPEN(id)}\n${body.trim()}\n${CLOSE(id)}`;
}

/** Sections of a generated document, by id (text between the markers, markers excluded). */
export function readSections(doc: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /<!-- bench:([a-z0-9-]+) -->\n([\s\S]*?)\n<!-- \/bench:\1 -->/g;
  for (const m of doc.matchAll(re)) out.set(m[1] as string, m[2] as string);
  return out;
}

/** argv without `flag` and its value (`--md x` or `--md=x`), for printing the reproducible command. */
export function stripFlag(argv: readonly string[], flag: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === flag) {
      i++;
      continue;
    }
    if (a.startsWith(`${flag}=`)) continue;
    out.push(a);
  }
  return out;
}

/** The command that reproduces a benchmark: `nice -n 10 node --import tsx tools/src/bench/<script>` and argv without its output flags (`--md`). */
export function benchCommand(script: string, argv: readonly string[], outputFlags: readonly string[] = ['--md']): string {
  const args = outputFlags.reduce<string[]>((a, flag) => stripFlag(a, flag), [...argv]);
  return [`nice -n 10 node --import tsx tools/src/bench/${script}`, ...args].join(' ');
}

/** Writes a benchmark's markdown atomically (temp file + rename), creating its folder. */
export async function writeMarkdown(path: string, md: string): Promise<void> {
  await writeFileAtomic(path, md);
}
