import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDataset } from './check.ts';
import type { CheckReport } from './check-types.ts';
import { buildMessyDataset, type MessyDataset } from '../testing/messy-dataset.ts';

let tmp: string;
let messy: MessyDataset;
let report: CheckReport;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hs-check-'));
  messy = await buildMessyDataset(join(tmp, 'messy'));
  report = await checkDataset(messy.root);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('checkDataset on a messy folder', () => {
  it('counts good images per class', () => {
    expect(report.classes).toEqual(messy.goodCounts);
    expect(report.totals).toEqual({ files: 15, good: 13, bad: 2 });
    expect(report.usable).toBe(true);
  });

  it('reports every planted problem with its code and path, and nothing else', () => {
    const got = report.problems.map((p) => ({ path: p.path, code: p.code })).sort((a, b) => (a.path + a.code < b.path + b.code ? -1 : 1));
    const want = [...messy.problems].sort((a, b) => (a.path + a.code < b.path + b.code ? -1 : 1));
    expect(got).toEqual(want);
    for (const p of report.problems) expect(p.message.length).toBeGreaterThan(10);
  });

  it('grades severities and names the other copy of duplicates', () => {
    const by = (code: string) => report.problems.find((p) => p.code === code);
    expect(by('IMAGE_UNDECODABLE')?.severity).toBe('error');
    expect(by('NOT_AN_IMAGE')?.severity).toBe('error');
    expect(by('IMAGE_CMYK')?.severity).toBe('info');
    expect(by('DUPLICATE_ACROSS_CLASSES')?.related).toEqual(['dog/x-again.png']);
    expect(by('DUPLICATE')?.related).toEqual(['dog/d1-copy.jpg']);
    expect(by('IMAGE_EXIF_ROTATED')?.message).toContain('30×60');
    expect(report.problems[0]?.severity).toBe('error');
  });

  it('suggests sklearn balanced class weights with the imbalance', () => {
    // 13 good images over 4 classes: w_c = 13 / (4 * n_c)
    expect(report.classWeights?.['lonely']).toBeCloseTo(13 / 4, 3);
    expect(report.classWeights?.['dog']).toBeCloseTo(13 / 16, 3);
    expect(report.classWeights).not.toHaveProperty('empty_class');
    expect(report.imbalanceRatio).toBe(5);
  });
});

describe('checkDataset verdicts', () => {
  it('is not usable with fewer than two classes of two good images', async () => {
    const r = await checkDataset(join(messy.root, '猫'));
    expect(r.usable).toBe(false);
    expect(r.problems.some((p) => p.code === 'DATASET_LAYOUT' || p.code === 'TOO_FEW_CLASSES')).toBe(true);
  });
  it('throws DATASET_NOT_FOUND for a missing path', async () => {
    await expect(checkDataset(join(tmp, 'missing'))).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
  });
});
