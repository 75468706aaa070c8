import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_LABELS } from '@headstart/core';
import { checkDataset, loadDataset, readImageFile } from '@headstart/core-node';
import { loadFashionMnist, pickIndices } from './fashion-mnist.ts';

const DEMO = join(dirname(fileURLToPath(import.meta.url)), '../../../data/demo/fashion-mnist');

describe('committed demo dataset (data/demo/fashion-mnist)', () => {
  it('holds 100 real Fashion-MNIST training images per class, as regenerated with seed 42', async () => {
    const ds = await loadDataset(DEMO);
    expect(ds.labels).toEqual([...FASHION_MNIST_LABELS].sort());
    const fm = await loadFashionMnist('train');
    const expected = pickIndices(fm.labels, FASHION_MNIST_LABELS.map((_, i) => i), 100, 42);
    let bytes = 0;
    for (const [c, indices] of expected) {
      const name = FASHION_MNIST_LABELS[c] ?? '';
      const files = ds.items.filter((i) => ds.labels[i.label] === name).map((i) => basename(i.path)).sort();
      expect(files).toEqual(indices.map((i) => `train-${String(i).padStart(5, '0')}.png`));
    }
    for (const item of ds.items) bytes += (await stat(item.path)).size;
    expect(bytes).toBeLessThan(2 * 1024 * 1024);
    // Spot-check pixels of one image per class against the IDX source.
    for (const [c, indices] of expected) {
      const index = indices[0] ?? 0;
      const img = await readImageFile(join(DEMO, FASHION_MNIST_LABELS[c] ?? '', `train-${String(index).padStart(5, '0')}.png`));
      const grey = Array.from({ length: 784 }, (_, p) => img.data[p * 3]);
      expect(grey).toEqual([...fm.images.subarray(index * 784, (index + 1) * 784)]);
    }
  });

  it('passes the dataset check with no problems', async () => {
    const r = await checkDataset(DEMO);
    expect(r.usable).toBe(true);
    expect(r.problems).toEqual([]);
    expect(Object.values(r.classes)).toEqual(new Array(10).fill(100));
  });
});
