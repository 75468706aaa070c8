import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainerEvent } from '@headstart/core';
import { listBases, selectBackend, train } from '../src/index.ts';
import { makeImageDataset, tempDir } from './fixtures.ts';

// Every catalogue base must train both phases with the default unfreeze policy: InceptionV3's
// scale-less BatchNorm layers once crashed phase 2 inside tfjs' fused batch-norm gradient.
describe('every bundled catalogue base trains both phases (tiny images, a few steps)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  // Bundled bases only: the download bases need the network, which tests do not have (their
  // loading is covered against a fixture server in the bases tests).
  for (const base of listBases().filter((b) => b.origin === 'bundled')) {
    it(`${base.id}: phase 1 and phase 2 complete at ${base.sizeRange[0]} px`, async () => {
      const root = await tempDir();
      const data = await makeImageDataset(join(root, 'data'), { classes: 2, perClass: 4, size: 24 });
      const events: TrainerEvent[] = [];
      const r = await train(
        {
          data,
          out: join(root, 'run'),
          base: base.id,
          backend: 'wasm',
          recipe: 'keras',
          inputSize: Math.max(32, base.sizeRange[0]),
          schedule: { phase1: { epochs: 1, batchSize: 4 }, phase2: { epochs: 1, batchSize: 4 }, valSplit: 0.25 },
        },
        (e) => events.push(e),
      );
      const ends = events.filter((e) => e.type === 'phase-end').map((e) => (e.type === 'phase-end' ? e.phase : ''));
      expect(ends).toEqual(['phase1', 'phase2']);
      const p2 = events.find((e) => e.type === 'phase-start' && e.phase === 'phase2');
      expect(p2 && p2.type === 'phase-start' && p2.trainableLayers).toBeGreaterThan(1);
      expect(r.manifest.status).toBe('complete');
      expect(Number.isFinite(r.report.accuracy)).toBe(true);
    }, 120_000);
  }
});
