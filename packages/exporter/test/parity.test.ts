import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PreprocessSpecSchema } from '@headstart/core';
import { exportLayersModel } from '../src/index.ts';
import { compareRows, verifyExport } from '../src/parity/index.ts';
import { LAYER_CASES } from './helpers/cases.ts';
import { writeModelDir } from './helpers/run.ts';
import { checkOnnx } from './helpers/onnx.ts';
import { readFileSync } from 'node:fs';
import { artifactsOf, initTf, randomizeWeights } from './helpers/tf.ts';

describe('verifyExport (the user-facing parity harness)', () => {
  it('passes for a faithful export and fails when the ONNX file belongs to other weights', async () => {
    await initTf();
    const dir = mkdtempSync(join(tmpdir(), 'hs-parity-'));
    const c = LAYER_CASES[1]!;
    const spec = PreprocessSpecSchema.parse({ size: [19, 19], mode: c.mode });
    const a = c.build();
    randomizeWeights(a, 1);
    const jsonA = writeModelDir(join(dir, 'a'), await artifactsOf(a));
    const onnxA = await exportLayersModel(jsonA, { out: join(dir, 'a.onnx'), preprocess: spec });
    checkOnnx(new Uint8Array(readFileSync(onnxA.path)));
    const good = await verifyExport({ modelJson: jsonA, onnx: onnxA.path, preprocess: spec, images: { data: new Uint8Array(19 * 19 * 3).fill(200), count: 1 } });
    expect(good.ok).toBe(true);
    expect(good.cases.map((k) => `${k.source}:${k.batch}`)).toEqual(['random:1', 'random:8', 'images:1']);
    expect(good.maxAbsDiff).toBeLessThanOrEqual(1e-4);

    const b = c.build();
    randomizeWeights(b, 2);
    const jsonB = writeModelDir(join(dir, 'b'), await artifactsOf(b));
    const bad = await verifyExport({ modelJson: jsonB, onnx: onnxA.path, preprocess: spec });
    expect(bad.ok).toBe(false);
    expect(bad.maxAbsDiff).toBeGreaterThan(1e-3);
  });

  it('compareRows reports the largest difference and per-row argmax agreement', () => {
    const a = Float32Array.from([0.1, 0.9, 0.6, 0.4]);
    expect(compareRows(a, Float32Array.from([0.1, 0.9, 0.6, 0.4]), 2)).toEqual({ maxAbsDiff: 0, top1Agree: true });
    const r = compareRows(a, Float32Array.from([0.1, 0.9, 0.45, 0.55]), 2);
    expect(r.top1Agree).toBe(false);
    expect(r.maxAbsDiff).toBeCloseTo(0.15, 6);
  });
});
