import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FASHION_MNIST_LABELS } from '@headstart/core';
import { loadDataset, readImageFile } from '@headstart/core-node';
import { cli, loadFashionMnist, materialize } from './materialize.ts';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hs-fm-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('Fashion-MNIST materialisation', () => {
  it('loads the test split with 10 000 28×28 images and labels 0–9', async () => {
    const fm = await loadFashionMnist('test');
    expect([fm.count, fm.height, fm.width, fm.images.length]).toEqual([10000, 28, 28, 10000 * 784]);
    expect(new Set(fm.labels)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  });

  it('writes k PNGs per chosen class whose pixels and labels match the IDX source', async () => {
    const out = join(tmp, 'a');
    const res = await materialize({ out, perClass: 3, classes: [0, 9], seed: 5, split: 'test' });
    expect(Object.keys(res.files)).toEqual(['T-shirt_top', 'Ankle_boot']);
    const ds = await loadDataset(out);
    expect(ds.labels).toEqual(['Ankle_boot', 'T-shirt_top']);
    expect(ds.items).toHaveLength(6);
    const fm = await loadFashionMnist('test');
    for (const item of ds.items) {
      const index = Number(/test-(\d+)\.png$/.exec(item.path)?.[1]);
      const label = FASHION_MNIST_LABELS[fm.labels[index] ?? -1];
      expect(label).toBe(ds.labels[item.label]);
      const img = await readImageFile(item.path);
      expect([img.width, img.height]).toEqual([28, 28]);
      const grey = Array.from({ length: 784 }, (_, p) => img.data[p * 3]);
      expect(grey).toEqual([...fm.images.subarray(index * 784, (index + 1) * 784)]);
    }
  });

  it('is deterministic per seed, differs across seeds, and the CLI entry works', async () => {
    const a = await materialize({ out: join(tmp, 's1'), perClass: 4, classes: [3], seed: 1, split: 'test' });
    const b = await materialize({ out: join(tmp, 's1b'), perClass: 4, classes: [3], seed: 1, split: 'test' });
    const c = await materialize({ out: join(tmp, 's2'), perClass: 4, classes: [3], seed: 2, split: 'test' });
    expect(b.files).toEqual(a.files);
    expect(c.files).not.toEqual(a.files);
    const lines: string[] = [];
    expect(await cli(['--out', join(tmp, 'cli'), '--per-class', '2', '--classes', '1,7', '--split', 'test'], (l) => lines.push(l))).toBe(0);
    expect(await readdir(join(tmp, 'cli'))).toEqual(['Sneaker', 'Trouser']);
    expect(lines[0]).toContain('wrote 4 PNGs');
    expect(await cli(['--out', join(tmp, 'x')], (l) => lines.push(l))).toBe(1);
  });
});
