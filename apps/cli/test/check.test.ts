import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMessyDataset, testImage, type MessyDataset } from '@headstart/core-node/testing';
import { mkdir, writeFile } from 'node:fs/promises';
import { main } from '../src/main.ts';
import { captureIo } from './fakes.ts';
import { displayWidth, table } from '../src/commands/check.ts';

async function run(...args: string[]) {
  const cap = captureIo();
  const code = await main(['node', 'headstart', ...args], cap);
  await new Promise((r) => setImmediate(r));
  return { code, out: cap.out(), err: cap.err() };
}

let tmp: string;
let messy: MessyDataset;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hs-cli-check-'));
  messy = await buildMessyDataset(join(tmp, 'messy'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('headstart check --json', () => {
  it('prints one object with usable, classes and every problem of the messy folder; exit 0', async () => {
    const { code, out } = await run('check', messy.root, '--json');
    expect(code).toBe(0);
    const report = JSON.parse(out) as { usable: boolean; classes: Record<string, number>; problems: { path: string; code: string; message: string }[] };
    expect(report.usable).toBe(true);
    expect(report.classes).toEqual(messy.goodCounts);
    const got = report.problems.map((p) => `${p.code} ${p.path}`).sort();
    expect(got).toEqual(messy.problems.map((p) => `${p.code} ${p.path}`).sort());
    for (const p of report.problems) expect(typeof p.message).toBe('string');
  });
});

describe('headstart check (human output)', () => {
  it('shows a class table, the problems by code and the verdict', async () => {
    const { code, out } = await run('check', messy.root);
    expect(code).toBe(0);
    expect(out).toMatch(/猫\s+5/);
    expect(out).toMatch(/chaussures_été\s+3/);
    expect(out).toContain('ERROR NOT_AN_IMAGE (1)');
    expect(out).toContain('dog/corrupt.jpg: ');
    expect(out).toContain('WARNING DUPLICATE_ACROSS_CLASSES (1)');
    expect(out).toMatch(/✔ usable/);
  });

  it('exits 2 when the dataset is not usable', async () => {
    await mkdir(join(tmp, 'one-class/only'), { recursive: true });
    await writeFile(join(tmp, 'one-class/only/a.png'), await testImage('png', 1));
    await writeFile(join(tmp, 'one-class/only/b.png'), await testImage('png', 2));
    const human = await run('check', join(tmp, 'one-class'));
    expect(human.code).toBe(2);
    expect(human.out).toContain('TOO_FEW_CLASSES');
    expect(human.out).toMatch(/✘ not usable/);
    const json = await run('check', join(tmp, 'one-class'), '--json');
    expect(json.code).toBe(2);
    expect(JSON.parse(json.out)).toMatchObject({ usable: false, classes: { only: 2 } });
  });

  it('exits 1 on usage errors: missing folder, unknown flag, missing argument', async () => {
    const missing = await run('check', join(tmp, 'does-not-exist'));
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('does-not-exist');
    expect((await run('check', messy.root, '--bogus')).code).toBe(1);
    expect((await run('check')).code).toBe(1);
    expect((await run('check', messy.root, '--concurrency', '0')).code).toBe(1);
  });
});

describe('table', () => {
  it('aligns columns with wide characters', () => {
    expect(displayWidth('猫a')).toBe(3);
    expect(table([['猫', '5'], ['dog', '10']], new Set([1]))).toEqual(['猫    5', 'dog  10']);
  });
});
