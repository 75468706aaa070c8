import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainerEvent } from '@headstart/core';
import { loadBase, loadLayersModelFile, selectBackend, train } from '../src/index.ts';
import { makeImageDataset, tempDir } from './fixtures.ts';

describe('train on the real mobilenet_v2 base (96 px, few images)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('fine-tunes the top layers with BN in inference mode and classifies the toy set', async () => {
    const root = await tempDir();
    const data = await makeImageDataset(join(root, 'data'), { classes: 3, perClass: 8, size: 48 });
    const events: TrainerEvent[] = [];
    const r = await train(
      {
        data,
        out: join(root, 'run'),
        backend: 'wasm',
        inputSize: 96,
        schedule: { phase1: { epochs: 4, batchSize: 8, learningRate: 3e-3 }, phase2: { epochs: 1, batchSize: 8, learningRate: 1e-3, unfreeze: { kind: 'top', n: 3 } }, valSplit: 0.25 },
      },
      (e) => events.push(e),
    );
    expect(r.manifest.base).toMatchObject({ id: 'mobilenet_v2', cut: 'out_relu', inputSize: [96, 96] });
    expect(r.manifest.backend).toBe('wasm');
    expect(r.report.accuracy).toBeGreaterThanOrEqual(2 / 3);
    const original = await loadBase('mobilenet_v2', { inputSize: 96 });
    const tuned = await loadLayersModelFile(join(r.runDir, 'model', 'model.json'));
    const w = (m: typeof tuned, l: string): number[][] => m.getLayer(l).getWeights().map((t) => Array.from(t.dataSync()));
    // top:3 weighted = Conv_1_bn, Conv_1, block_16_project_BN.
    expect(w(tuned, 'Conv_1')).not.toEqual(w(original.model, 'Conv_1'));
    const bn = w(tuned, 'Conv_1_bn');
    const bnOrig = w(original.model, 'Conv_1_bn');
    expect(bn[0]).not.toEqual(bnOrig[0]);
    expect(bn.slice(2)).toEqual(bnOrig.slice(2));
    expect(w(tuned, 'block_16_depthwise')).toEqual(w(original.model, 'block_16_depthwise'));
    const p2 = events.find((e) => e.type === 'phase-start' && e.phase === 'phase2');
    expect(p2 && p2.type === 'phase-start' && p2.trainableLayers).toBe(4);
  });
});
