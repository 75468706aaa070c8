import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchCommand, demoteHeadings, mdTable, mean, median, parseIntList, parseList, parsePositiveInt, pct, readSections, secs, stdev, stripFlag, times, wrapSection, writeMarkdown } from './bench-kit.ts';
import { stepSeconds } from './caching.ts';
import { defaultsCommand } from './defaults.ts';
import { BENCHES, commandFor, parseMainArgs, renderDoc, renderSection, type BenchDef, type BenchOutcome } from './main.ts';
import { describeMachine, formatLoad, machineLine } from './machine.ts';
import type { TimedRun } from './timed-train.ts';

describe('statistics', () => {
  it('median of odd, even and unsorted lists', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5])).toBe(5);
    expect(median([])).toBeNaN();
  });
  it('does not reorder its input', () => {
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
  });
  it('mean and sample standard deviation', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(stdev([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138, 3);
    expect(stdev([1])).toBe(0);
  });
});

describe('formatting', () => {
  it('percent, seconds and ratios', () => {
    expect(pct(0.7234)).toBe('72.3 %');
    expect(secs(0.01234)).toBe('0.012 s');
    expect(secs(3.14159)).toBe('3.14 s');
    expect(secs(123.45)).toBe('123.5 s');
    expect(times(3.456)).toBe('3.46×');
    expect(times(61.57)).toBe('61.6×');
    expect(pct(Number.NaN)).toBe('–');
  });
  it('renders a markdown table and escapes pipes', () => {
    expect(mdTable(['a', 'b'], [[1, 'x|y']])).toBe('| a | b |\n|---|---|\n| 1 | x\\|y |');
    expect(() => mdTable(['a', 'b'], [[1]])).toThrow(RangeError);
  });
  it('right-aligns the columns asked for', () => {
    expect(mdTable(['name', 'ms', 'n'], [['x', 1.5, 2]], ['l', 'r', 'r'])).toBe('| name | ms | n |\n|---|---:|---:|\n| x | 1.5 | 2 |');
    expect(mdTable(['a', 'b'], [], ['r'])).toBe('| a | b |\n|---:|---|');
    expect(() => mdTable(['a'], [], ['l', 'r'])).toThrow(/2 alignments for 1 columns/);
  });
  it('demotes headings outside code fences only', () => {
    expect(demoteHeadings('# T\ntext\n```\n# not a heading\n```\n## U', 2)).toBe('### T\ntext\n```\n# not a heading\n```\n#### U');
  });
});

describe('argument helpers', () => {
  it('parses comma lists', () => {
    expect(parseList(' a, b,,c ')).toEqual(['a', 'b', 'c']);
    expect(parseList(undefined)).toEqual([]);
    expect(parseIntList('10,100', '--k')).toEqual([10, 100]);
    expect(() => parseIntList('10,x', '--k')).toThrow(/--k: 'x'/);
    expect(() => parseIntList('0', '--k')).toThrow(RangeError);
  });
  it('parses one positive integer, naming the flag otherwise', () => {
    expect(parsePositiveInt('20', '--runs')).toBe(20);
    expect(() => parsePositiveInt('2.5', '--runs')).toThrow(/--runs: '2.5'/);
    expect(() => parsePositiveInt('', '--runs')).toThrow(RangeError);
    expect(() => parsePositiveInt(undefined, '--runs')).toThrow(RangeError);
  });
  it('strips a flag and its value from argv', () => {
    expect(stripFlag(['--quick', '--md', 'x.md', '--k', '5'], '--md')).toEqual(['--quick', '--k', '5']);
    expect(stripFlag(['--md=x.md', '--k', '5'], '--md')).toEqual(['--k', '5']);
  });
  it('parses the runner arguments', () => {
    expect(parseMainArgs([]).only).toEqual(BENCHES.map((b) => b.id));
    const a = parseMainArgs(['--only', 'conv,transfer', '--quick']);
    expect(a.only).toEqual(['conv', 'transfer']);
    expect(a.quick).toBe(true);
    expect(a.out).not.toBe('docs/benchmarks.md');
    expect(parseMainArgs(['--only', 'caching']).out).toBe('docs/benchmarks.md');
    expect(() => parseMainArgs(['--only', 'nope'])).toThrow(/unknown benchmark nope/);
    expect(() => parseMainArgs(['--bogus'])).toThrow();
    expect(parseMainArgs(['--collect']).collect).toBe(true);
    expect(() => parseMainArgs(['--jobs', '0'])).toThrow(/--jobs/);
  });
  it('prints the command of each benchmark', () => {
    const conv = BENCHES.find((b) => b.id === 'conv');
    expect(conv && commandFor(conv, true)).toMatch(/^nice -n 10 node --import tsx tools\/src\/bench\/conv-throughput\.ts --runs 1/);
  });
});

describe('document', () => {
  const machine = { ...describeMachine(new Date('2026-01-01T00:00:00Z')), loadavg: [1, 2, 3] as [number, number, number] };
  const outcome = (id: string, md: string): BenchOutcome => ({ id, status: 'ok', seconds: 12, command: `cmd ${id}`, markdown: md, date: 'D', loadBefore: [1, 1, 1] });
  it('describes the machine', () => {
    expect(formatLoad([1, 2.5])).toBe('1.00 2.50');
    expect(machineLine(machine)).toMatch(/2026-01-01T00:00:00.000Z; load average 1.00 2.00 3.00/);
  });
  it('keeps sections that were not re-run and replaces those that were', () => {
    const t = BENCHES[0] as BenchDef;
    const c = BENCHES[2] as BenchDef;
    const first = renderDoc(machine, BENCHES, new Map([[t.id, renderSection(t, outcome(t.id, '# old transfer'))], [c.id, renderSection(c, outcome(c.id, '# caching 3×'))]]), new Map(), false);
    const kept = readSections(first);
    expect([...kept.keys()]).toEqual([t.id, c.id]);
    const second = renderDoc(machine, BENCHES, new Map([[t.id, renderSection(t, outcome(t.id, '# new transfer'))]]), kept, false);
    expect(second).toContain('### new transfer');
    expect(second).not.toContain('old transfer');
    expect(second).toContain('### caching 3×');
    expect(second.indexOf('new transfer')).toBeLessThan(second.indexOf('caching 3×'));
  });
  it('marks failures and quick runs', () => {
    const b = BENCHES[1] as (typeof BENCHES)[number];
    const failed = renderSection(b, { ...outcome(b.id, ''), status: 'failed', error: 'exit 1\nboom' });
    expect(failed).toMatch(/FAILED/);
    expect(failed).toContain('boom');
    expect(renderDoc(machine, BENCHES, new Map([[b.id, failed]]), new Map(), true)).toMatch(/produced with `--quick`/);
  });
  it('renders a collected section with its source document', () => {
    const b = BENCHES.find((d) => d.id === 'conv') as BenchDef;
    const text = renderSection(b, { ...outcome(b.id, '# Conv\n\n| a |\n|---|'), status: 'collected', date: 'docs/benchmarks-conv.md' });
    expect(text).toContain('copied from docs/benchmarks-conv.md');
    expect(text).toContain('| a |');
    expect(text).not.toContain('### Conv');
  });
  it('keeps a section recorded by hand (an id no benchmark owns) after the generated ones, with its contents line', () => {
    const t = BENCHES[0] as BenchDef;
    const kept = new Map([['bulk', '## Bulk predict\n\nmeasured by hand'], [t.id, '## old']]);
    const doc = renderDoc(machine, BENCHES, new Map([[t.id, renderSection(t, outcome(t.id, '# new transfer'))]]), kept, false);
    expect(readSections(doc).get('bulk')).toBe('## Bulk predict\n\nmeasured by hand');
    expect(doc).toContain('- [Bulk predict](#bulk-predict)');
    expect(doc.indexOf('new transfer')).toBeLessThan(doc.indexOf('measured by hand'));
    expect(doc).not.toContain('## old');
  });
  it('round-trips a wrapped section', () => {
    expect(readSections(wrapSection('x-1', 'body\nmore')).get('x-1')).toBe('body\nmore');
  });
});

describe('caching helpers', () => {
  it('divides epoch seconds by batches per epoch', () => {
    const run = { times: { epochs: { phase2: [4, 6] }, batches: { phase2: 2 } } } as unknown as TimedRun;
    expect(stepSeconds(run, 'phase2')).toEqual([2, 3]);
    expect(stepSeconds(run, 'phase1')).toEqual([]);
  });
});

describe('benchmark command and markdown file', () => {
  it('the reproducible command drops the output flags and keeps every other argument', () => {
    expect(benchCommand('caching.ts', ['--seeds', '1,2', '--md', '/tmp/x.md', '--quick'])).toBe('nice -n 10 node --import tsx tools/src/bench/caching.ts --seeds 1,2 --quick');
    expect(benchCommand('api-load.ts', ['--out=/tmp/a.md', '--secs', '5'], ['--out'])).toBe('nice -n 10 node --import tsx tools/src/bench/api-load.ts --secs 5');
  });
  it("defaults.ts records its command without the --md, --jsonl and --root paths (their values too)", () => {
    const argv = ['--quick', '--md', '/tmp/d.md', '--split', '--jsonl=/tmp/rows.jsonl', '--root', '/tmp/work', '--k', '5,10'];
    expect(defaultsCommand(argv)).toBe('nice -n 10 node --import tsx tools/src/bench/defaults.ts --quick --split --k 5,10');
    expect(defaultsCommand([])).toBe('nice -n 10 node --import tsx tools/src/bench/defaults.ts');
  });

  it('writes the markdown into a new folder, leaving no temporary file', async () => {
    const root = await mkdtemp(join(tmpdir(), 'headstart-bench-kit-'));
    try {
      await writeMarkdown(join(root, 'a', 'b.md'), '# x\n');
      expect(await readFile(join(root, 'a', 'b.md'), 'utf8')).toBe('# x\n');
      expect(await readdir(join(root, 'a'))).toEqual(['b.md']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
