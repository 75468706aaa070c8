import { beforeAll, describe, expect, it } from 'vitest';
import { applyPreprocess, PreprocessSpecSchema } from '@headstart/core';
import { decodeModel, serialiseArtifact, SUPPORTED_LAYERS } from '../src/index.ts';
import { LAYER_CASES } from './helpers/cases.ts';
import { checkOnnx, compare, runOrt } from './helpers/onnx.ts';
import { artifactsOf, initTf, predict, randomizeWeights, randomPixels } from './helpers/tf.ts';

beforeAll(async () => {
  await initTf();
});

function classesIn(topology: Record<string, unknown>): Set<string> {
  const found = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      if (typeof o['class_name'] === 'string') found.add(o['class_name']);
      Object.values(o).forEach(visit);
    }
  };
  visit(topology);
  return found;
}

describe('layer-by-layer parity with TF.js (cpu backend)', () => {
  const covered = new Set<string>();
  for (const [i, c] of LAYER_CASES.entries()) {
    it(c.name, async () => {
      const model = c.build();
      randomizeWeights(model, 100 + i);
      const artifact = await artifactsOf(model);
      const classes = classesIn(artifact.modelTopology);
      for (const k of c.covers) expect(classes, `case should contain ${k}`).toContain(k);
      classes.forEach((k) => covered.add(k));
      const [, h, w] = model.inputs[0]!.shape as number[];
      const spec = PreprocessSpecSchema.parse({ size: [h, w], mode: c.mode });
      const { data, info } = serialiseArtifact(artifact, { preprocess: spec, labels: ['a', 'b', 'c', 'd', 'e'].slice(0, model.outputs[0]!.shape[1]!) });
      checkOnnx(data);
      const classesOut = info.outputShape[1]!;
      for (const n of [1, 8]) {
        const pixels = randomPixels(n, h!, w!, 3, 7 * n + i);
        const expected = predict(model, applyPreprocess(Uint8Array.from(pixels), n, spec), [n, h!, w!, 3]);
        const actual = await runOrt(data, pixels, [n, h!, w!, 3]);
        const { maxAbs, top1 } = compare(expected, actual, classesOut);
        expect(maxAbs, `batch ${n}`).toBeLessThanOrEqual(1e-4);
        expect(top1, `batch ${n} top-1`).toBe(true);
      }
      model.dispose();
    });
  }

  it('covers every supported layer class', () => {
    // Keras-only classes TF.js cannot build are covered by hand-built topologies in keras-only.test.ts.
    const kerasOnly = ['Normalization', 'Subtract', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianDropout', 'AlphaDropout', 'ActivityRegularization', 'Model', 'Functional'];
    const missing = SUPPORTED_LAYERS.filter((k) => !covered.has(k) && !kerasOnly.includes(k));
    expect(missing).toEqual([]);
  });

  it('folds BatchNormalization into the preceding linear layer only when legal', async () => {
    const c = LAYER_CASES[3]!;
    const model = c.build();
    const { info, data } = serialiseArtifact(await artifactsOf(model), {});
    expect(info.foldedBatchNorms).toBe(1); // the Dense one; the conv output feeding BN also feeds Subtract
    const ops = decodeModel(data).graph.node.map((n) => n.opType);
    expect(ops.filter((o) => o === 'Transpose').length).toBeGreaterThanOrEqual(2);
    model.dispose();
  });
});
