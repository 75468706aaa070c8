import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adviseForDataset, selectBackend } from '../src/index.ts';
import { makeImageDataset, makeTinyBase, tempDir } from './fixtures.ts';

describe('adviseForDataset', () => {
  it('measures a ridge-probe similarity and returns a four-case advice with its evidence', async () => {
    await selectBackend('cpu');
    const root = await tempDir();
    const data = await makeImageDataset(join(root, 'data'), { classes: 3, perClass: 10, size: 16 });
    const base = await makeTinyBase(join(root, 'base'));
    const advice = await adviseForDataset(data, { base, backend: 'cpu', sampleSize: 30 });
    expect(advice.classes).toBe(3);
    expect(advice.trainCount).toBe(24);
    expect(advice.size).toBe('small');
    // The probes see the training split only (24 of 30 images): validation stays untouched for an honest headline.
    expect(advice.probeImages).toBe(24);
    expect(advice.probeAccuracy).toBeGreaterThanOrEqual(0);
    expect(advice.similarity).toBeCloseTo(Math.max(0, (advice.probeAccuracy - 1 / 3) / (2 / 3)), 10);
    expect([1, 3]).toContain(advice.case);
    expect(advice.reasons.some((r) => r.includes('ridge probes, 3× 5-fold cross-validated on 24 training images'))).toBe(true);
    if (advice.schedule.augment) expect(advice.schedule.augmentedPasses).toBe(4);
  });
});
