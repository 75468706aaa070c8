import { mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adviseForDataset, selectBackend } from '../src/index.ts';
import { makeImageDataset, makeTinyBase, tempDir } from './fixtures.ts';

/** Re-deals every image of `root` round-robin over its class folders: labels then carry nothing about the pixels. */
async function shuffleLabels(root: string): Promise<void> {
  const classes = (await readdir(root)).sort();
  const files: string[] = [];
  for (const c of classes) for (const f of (await readdir(join(root, c))).sort()) files.push(join(root, c, f));
  await mkdir(join(root, '..', 'dealt'), { recursive: true });
  for (const [i, f] of files.entries()) await rename(f, join(root, '..', 'dealt', `${i}.png`));
  for (const [i] of files.entries()) await rename(join(root, '..', 'dealt', `${i}.png`), join(root, classes[i % classes.length] as string, `img_${i}.png`));
}

describe('adviseForDataset', () => {
  it('separable classes: a high probe score, so case 1 (small, similar: train the head only)', async () => {
    await selectBackend('cpu');
    const root = await tempDir();
    const data = await makeImageDataset(join(root, 'data'), { classes: 3, perClass: 10, size: 16 });
    const base = await makeTinyBase(join(root, 'base'));
    const advice = await adviseForDataset(data, { base, backend: 'cpu', sampleSize: 30, scratch: false });
    expect(advice.classes).toBe(3);
    expect(advice.trainCount).toBe(24);
    expect(advice.size).toBe('small');
    // The probes see the training split only (24 of 30 images): validation stays untouched for an honest headline.
    expect(advice.probeImages).toBe(24);
    expect(advice.probeAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(advice.similarity).toBeCloseTo(Math.max(0, (advice.probeAccuracy - 1 / 3) / (2 / 3)), 10);
    expect(advice.case).toBe(1);
    expect(advice.reasons.some((r) => r.includes('ridge probes, 3× 5-fold cross-validated on 24 training images'))).toBe(true);
    if (advice.schedule.augment) expect(advice.schedule.augmentedPasses).toBe(4);
  });

  it('labels unrelated to the pixels: a probe near chance, so case 3 (small, different)', async () => {
    await selectBackend('cpu');
    const root = await tempDir();
    const data = await makeImageDataset(join(root, 'data'), { classes: 3, perClass: 10, size: 16 });
    await shuffleLabels(data);
    const base = await makeTinyBase(join(root, 'base'));
    const advice = await adviseForDataset(data, { base, backend: 'cpu', sampleSize: 30, scratch: false });
    expect(advice.probeAccuracy).toBeLessThan(0.6);
    expect(advice.case).toBe(3);
  });
});
