import { describe, expect, it } from 'vitest';
import { createOnnxFeatureExtractor } from '../src/features.ts';
import { LAYER_CASES } from './helpers/cases.ts';
import { compare } from './helpers/onnx.ts';
import { artifactsOf, initTf, predict, randomizeWeights, rng, tfl } from './helpers/tf.ts';

describe('createOnnxFeatureExtractor', () => {
  it('runs a cut base on onnxruntime-node with the same features as TF.js', async () => {
    await initTf();
    const model = LAYER_CASES[1]!.build();
    randomizeWeights(model, 8);
    const cut = model.layers[4]!.name; // the relu6 activation after the folded depthwise+BN
    const fx = await createOnnxFeatureExtractor(await artifactsOf(model), { cut });
    const r = rng(3);
    const x = Float32Array.from({ length: 3 * 19 * 19 * 3 }, () => r() * 2 - 1);
    const actual = await fx.run(x, 3);
    const cutModel = tfl.model({ inputs: model.inputs, outputs: model.getLayer(cut).output as tfl.SymbolicTensor });
    const expected = predict(cutModel, x, [3, 19, 19, 3]);
    expect(fx.outputShape).toEqual([-1, ...(cutModel.outputs[0]!.shape.slice(1) as number[])]);
    expect(compare(expected, actual, expected.length / 3).maxAbs).toBeLessThanOrEqual(1e-4);
    await fx.dispose();
    model.dispose();
  });
});
