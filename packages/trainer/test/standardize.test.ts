import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isHeadstartError, preprocessSpecFor } from '@headstart/core';
import { adviseForDataset, channelMoments, loadBase, loadLayersModelFile, probeTies, selectBackend, train, type TrainOptions } from '../src/index.ts';
import { prepareData } from '../src/data/prepare.ts';
import { extract, ImageSource } from '../src/data/sources.ts';
import { exportRun } from '@headstart/exporter';
import { verifyExport } from '../src/parity/index.ts';
import { HEAD_STANDARDIZE } from '../src/model/head.ts';
import { tfc } from '../src/tf.ts';
import { makeImageDataset, makeTinyBase, tempDir, tinyTrainOptions } from './fixtures.ts';

describe('channelMoments', () => {
  it('gives per-channel mean and population variance over all other axes', () => {
    // Two rows × two positions × two channels: channel 0 = 1,3,5,7; channel 1 = 10,10,10,10.
    const m = channelMoments(Float32Array.from([1, 10, 3, 10, 5, 10, 7, 10]), 2);
    expect(Array.from(m.mean)).toEqual([4, 10]);
    expect(Array.from(m.variance)).toEqual([5, 0]);
    expect(() => channelMoments(new Float32Array(5), 2)).toThrow(RangeError);
  });
});

describe('head standardisation (tiny base, generated images)', () => {
  let data: string;
  let basePath: string;
  const opts = (out: string, extra: Partial<TrainOptions> = {}): TrainOptions =>
    tinyTrainOptions({ data, base: basePath, epochs: [2, 1], seed: 5, phase1: { earlyStopping: false, reduceOnPlateau: false } }, out, {
      head: { kind: 'dense', pooling: 'flatten', standardize: true },
      ...extra,
    });

  beforeAll(async () => {
    await selectBackend('cpu');
    const root = await tempDir();
    data = await makeImageDataset(join(root, 'data'), { classes: 3, perClass: 10, size: 20 });
    basePath = await makeTinyBase(join(root, 'base'));
  });

  it('measures the training features once and keeps the statistics frozen through both phases', async () => {
    const root = await tempDir();
    const r = await train(opts(join(root, 'run')));
    expect(r.manifest.head).toMatchObject({ standardize: true, pooling: 'flatten' });
    const model = await loadLayersModelFile(join(r.runDir, 'model', 'model.json'));
    const [gamma, beta, mean, variance] = model.getLayer(HEAD_STANDARDIZE).getWeights().map((w) => Array.from(w.dataSync()));
    // Independently: the base's features of the same training split, through TF.js.
    const base = await loadBase(basePath, { preprocess: 'tf' });
    const split = await prepareData(data, { size: base.inputSize, resize: 'cover', valSplit: 0.2, testSplit: 0, seed: 5, skipCheck: true });
    const spec = preprocessSpecFor('tf', base.inputSize);
    const f = await extract(new ImageSource(split.train.pixels, split.train.labels, spec), (x) => [base.model.predict(x) as tfc.Tensor]);
    const channels = f.shapes[0]?.at(-1) as number;
    const want = channelMoments(f.data[0] as Float32Array, channels);
    expect(gamma).toEqual(new Array(channels).fill(1));
    expect(beta).toEqual(new Array(channels).fill(0));
    (mean as number[]).forEach((v, c) => expect(v).toBeCloseTo(want.mean[c] as number, 4));
    (variance as number[]).forEach((v, c) => expect(v).toBeCloseTo(want.variance[c] as number, 4));
    // The statistics are not the identity a fresh layer starts with.
    expect((variance as number[]).some((v) => Math.abs(v - 1) > 1e-3)).toBe(true);
    // The exported ONNX model (standardisation folded like any inference-mode BatchNorm) matches TF.js.
    const exported = await exportRun(r.runDir);
    const parity = await verifyExport({ modelJson: join(r.runDir, 'model', 'model.json'), onnx: exported.path, preprocess: r.manifest.preprocess });
    expect(parity.ok).toBe(true);
  });

  it('refuses standardisation in scratch mode, naming the field', async () => {
    const root = await tempDir();
    const err = await train(opts(join(root, 'scratch'), { base: undefined, inputSize: 16, schedule: { mode: 'scratch', phase1: { epochs: 1 } } })).catch((e: unknown) => e);
    expect(isHeadstartError(err, 'SPEC_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/head\.standardize.*scratch/);
  });

  it('advise measures each requested cut with avg and flatten pooling, and names an unknown cut', async () => {
    const advice = await adviseForDataset(data, { base: basePath, backend: 'cpu', sampleSize: 30, cuts: ['out', 'r1'], seed: 3 });
    expect(advice.probes.map((p) => `${p.cut}/${p.pooling}/${p.dim}`)).toEqual(['out/avg/8', 'out/flatten/512', 'r1/avg/6', 'r1/flatten/1536']);
    for (const p of advice.probes) expect(p.accuracy).toBeGreaterThanOrEqual(0);
    expect(advice.probeFolds).toBe(5);
    // The probes see the training split only (24 of 30 images): validation stays untouched for an honest headline.
    expect(advice.probeImages).toBe(24);
    expect(advice.head.standardize).toBe(true);
    // The chosen configuration is the rule's: the most accurate of the probes tied with the lowest squared error.
    const { ties } = probeTies(advice.probes);
    const chosen = advice.probes.find((p) => p.cut === (advice.cutLayer ?? 'out') && p.pooling === advice.head.pooling);
    expect(chosen && ties.includes(chosen)).toBe(true);
    expect(chosen?.accuracy).toBe(Math.max(...ties.map((p) => p.accuracy)));
    expect(advice.reasons.some((r) => r.includes('3× 5-fold cross-validated on 24 training images'))).toBe(true);
    const err = await adviseForDataset(data, { base: basePath, backend: 'cpu', sampleSize: 30, cuts: ['out', 'nope'] }).catch((e: unknown) => e);
    expect(isHeadstartError(err, 'LAYER_NOT_FOUND')).toBe(true);
    expect((err as Error).message).toContain('"nope"');
  });
});
