/**
 * `headstart check --deep` on the demo Fashion-MNIST folder with 5 % of the labels flipped (and one
 * re-encoded copy of an image planted in another class): the planted-noise acceptance test.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plantLabelNoise, type NoisyCopy } from '@headstart/core-node/testing';
import { main } from '../src/main.ts';
import { captureIo } from './fakes.ts';

const DEMO = fileURLToPath(new URL('../../../data/demo/fashion-mnist', import.meta.url));
let tmp: string;
let noisy: NoisyCopy;
const DUP = 'Bag/planted-copy-of-trouser.jpg';

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hs-check-deep-'));
  noisy = await plantLabelNoise(DEMO, join(tmp, 'noisy'), 0.05, 5);
  // A near-duplicate the byte-level check cannot see: a clean Trouser image re-encoded as JPEG, filed under Bag.
  const trouser = (await readdir(join(noisy.root, 'Trouser'))).sort().find((f) => !noisy.flipped.has(`Trouser/${f}`)) as string;
  await sharp(join(noisy.root, 'Trouser', trouser)).jpeg({ quality: 100 }).toFile(join(noisy.root, DUP));
  noisy.flipped.add(DUP);
}, 60_000);
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('headstart check --deep', () => {
  it('ranks the flipped labels first and finds the planted cross-class near-duplicate', async () => {
    const cap = captureIo();
    const out = join(tmp, 'report');
    const code = await main(['node', 'headstart', 'check', noisy.root, '--deep', '--json', '--out', out], cap);
    expect(code).toBe(0);
    const json = JSON.parse(cap.out()) as { usable: boolean; deep: { labelIssues: { path: string; rank: number; suggested: string }[]; nearDuplicates: { a: { path: string }; b: { path: string }; kind: string }[] } };
    expect(json.usable).toBe(true);
    const issues = json.deep.labelIssues;
    expect(issues.map((i) => i.rank)).toEqual(issues.map((_, i) => i + 1));
    const flipped = noisy.flipped.size;
    const top = issues.slice(0, 2 * flipped);
    const found = top.filter((i) => noisy.flipped.has(i.path)).length;
    // Acceptance: the top 2×(flipped) contain at least 60 % of the flipped images.
    expect(found / flipped).toBeGreaterThanOrEqual(0.6);
    // Where the probe is sure, its suggestion is mostly the true class.
    const suggestedRight = top.filter((i) => noisy.truth.get(i.path) === i.suggested).length;
    expect(suggestedRight).toBeGreaterThan(found / 2);
    const dup = json.deep.nearDuplicates.find((d) => d.a.path === DUP || d.b.path === DUP);
    expect(dup?.kind).toBe('cross-class');
    const csv = await readFile(join(out, 'issues.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe('kind,rank,path,split,label,suggested,given_prob,suggested_prob,other_path,other_split,other_label,similarity');
    expect(csv).toContain(`label,1,${issues[0]?.path}`);
    const html = await readFile(join(out, 'issues.html'), 'utf8');
    expect(html).toContain('src="data:image/');
    expect(html).toContain(issues[0]?.path);
  }, 600_000);
});
