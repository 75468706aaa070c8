import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeBulkFixture, sortedRows, type BulkFixture } from './bulk-fixture.ts';
import { runCli } from './fakes.ts';

let fx: BulkFixture;
beforeAll(async () => {
  fx = await makeBulkFixture(2);
});

const run = runCli;

describe('headstart predict <folder> (bulk, local)', () => {
  it('writes one CSV row per file with the model hash and top-k; unreadable files carry their error; exit 2', async () => {
    const out = join(fx.dir, 'local.csv');
    const r = await run('predict', fx.model, fx.images, '--out', out, '--top-k', '2', '--threads', '2');
    expect(r.code).toBe(2);
    const [header, ...rows] = readFileSync(out, 'utf8').trim().split('\n');
    expect(header).toBe('path,model,label,label_1,probability_1,label_2,probability_2,error');
    expect(rows).toHaveLength(fx.count);
    expect(new Set(rows.map((l) => l.split(',')[0])).size).toBe(fx.count);
    expect(rows.every((l) => /,sha256:[0-9a-f]{64},/.test(l))).toBe(true);
    const red = rows.find((l) => l.includes('small-0.png')) as string;
    expect(red.split(',')[2]).toBe('red'); // the answer (the model has no "unknown" threshold)
    expect(red.split(',')[3]).toBe('red');
    for (const bad of fx.unreadable) expect(rows.find((l) => l.startsWith(bad))).toMatch(/,"?(IMAGE_UNDECODABLE|IO): /);
    expect(r.err).toMatch(new RegExp(`predicted ${fx.count} images .*: ${fx.count - 2} classified, 2 unreadable`));
  });

  it('single-threaded and multi-threaded runs write the same rows', async () => {
    const one = join(fx.dir, 'one.csv');
    const many = join(fx.dir, 'many.csv');
    await run('predict', fx.model, fx.images, '--out', one, '--threads', '1');
    await run('predict', fx.model, fx.images, '--out', many, '--threads', '2');
    expect(sortedRows(readFileSync(one, 'utf8'))).toEqual(sortedRows(readFileSync(many, 'utf8')));
  });

  it('re-running with the same --out resumes: done files are skipped, a partial last line is cut off', async () => {
    const full = join(fx.dir, 'full.jsonl');
    await run('predict', fx.model, fx.images, '--out', full);
    const lines = readFileSync(full, 'utf8').trim().split('\n');
    const partial = join(fx.dir, 'partial.jsonl');
    writeFileSync(partial, `${lines.slice(0, 5).join('\n')}\n${(lines[5] as string).slice(0, 20)}`);
    const r = await run('predict', fx.model, fx.images, '--out', partial);
    expect(r.err).toContain(`resuming ${partial}: 5 of ${fx.count} images already there`);
    expect(r.err).toContain(`predicted ${fx.count - 5} images`);
    const resumed = readFileSync(partial, 'utf8').trim().split('\n');
    expect(resumed.map((l) => JSON.parse(l) as unknown)).toHaveLength(fx.count);
    expect([...resumed].sort()).toEqual([...lines].sort());
  });

  it('without --out a folder prints CSV to stdout; a glob and a CSV of paths work as inputs; --topk is an alias', async () => {
    const r = await run('predict', fx.model, fx.images, '--topk', '1');
    expect(r.out.split('\n')[0]).toBe('path,model,label,label_1,probability_1,error');
    expect(r.out.trim().split('\n')).toHaveLength(fx.count + 1);
    const g = await run('predict', fx.model, join(fx.images, 'small-*.png'), '--json');
    expect(g.code).toBe(0);
    expect(g.out.trim().split('\n').map((l) => (JSON.parse(l) as { path: string }).path)).toHaveLength(6);
    const list = join(fx.dir, 'list.csv');
    writeFileSync(list, 'path\nimages/small-1.png\nimages/small-2.png\n');
    const c = await run('predict', fx.model, list, '--json');
    expect(c.out.trim().split('\n').map((l) => (JSON.parse(l) as { predictions: { label: string }[] }).predictions[0]?.label)).toEqual(['green', 'blue']);
  });

  it('a resumed output of another model or top-k is refused with the flag to change', async () => {
    const out = join(fx.dir, 'k2.csv');
    writeFileSync(out, 'path,model,label,label_1,probability_1,label_2,probability_2,error\n');
    const r = await run('predict', fx.model, fx.images, '--out', out, '--top-k', '3');
    expect(r.code).toBe(1);
    expect(r.err).toContain('was written with --top-k 2');
  });
});
