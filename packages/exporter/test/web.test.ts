import { beforeAll, describe, expect, it } from 'vitest';
import * as ortWeb from 'onnxruntime-web';
import { applyPreprocess, PreprocessSpecSchema } from '@headstart/core';
import { serialiseArtifact } from '../src/index.ts';
import { LAYER_CASES } from './helpers/cases.ts';
import { compare } from './helpers/onnx.ts';
import { artifactsOf, initTf, predict, randomizeWeights, randomPixels } from './helpers/tf.ts';

beforeAll(async () => {
  await initTf();
  ortWeb.env.wasm.numThreads = 1;
});

describe('onnxruntime-web (wasm) in Node', () => {
  it('loads an exported file and agrees with TF.js within 1e-4', async () => {
    const c = LAYER_CASES[0]!;
    const model = c.build();
    randomizeWeights(model, 3);
    const spec = PreprocessSpecSchema.parse({ size: [15, 17], mode: 'tf' });
    const { data } = serialiseArtifact(await artifactsOf(model), { preprocess: spec });
    const session = await ortWeb.InferenceSession.create(data, { executionProviders: ['wasm'] });
    const pixels = randomPixels(8, 15, 17, 3, 9);
    const out = await session.run({ pixels: new ortWeb.Tensor('float32', pixels, [8, 15, 17, 3]) });
    const actual = out['probabilities']!.data as Float32Array;
    const expected = predict(model, applyPreprocess(Uint8Array.from(pixels), 8, spec), [8, 15, 17, 3]);
    const r = compare(expected, actual, 5);
    expect(r.maxAbs).toBeLessThanOrEqual(1e-4);
    expect(r.top1).toBe(true);
    await session.release();
    model.dispose();
  });
});
