import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyPreprocess, PreprocessSpecSchema } from '@headstart/core';
import { decodeModel, exportLayersModel, exportRun } from '../src/index.ts';
import { checkOnnx, compare, runOrt } from './helpers/onnx.ts';
import { writeRun } from './helpers/run.ts';
import { artifactsOf, initTf, predict, randomizeWeights, randomPixels, tf, tfl } from './helpers/tf.ts';

beforeAll(async () => {
  await initTf();
});

function tinyModel(): tfl.LayersModel {
  const L = tfl.layers;
  const m = tfl.sequential({
    layers: [
      L.conv2d({ inputShape: [9, 9, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'conv' }),
      L.batchNormalization({ name: 'bn' }),
      L.reLU({ name: 'features_relu' }),
      L.globalAveragePooling2d({ name: 'pool' }),
      L.dense({ units: 3, activation: 'softmax', name: 'head' }),
    ],
  });
  randomizeWeights(m, 5);
  return m;
}

const metadataOf = (bytes: Uint8Array): Record<string, string> => Object.fromEntries(decodeModel(bytes).metadataProps.map((p) => [p.key, p.value]));

describe('exportRun', () => {
  it('writes runDir/model.onnx with preprocessing, labels and metadata, matching TF.js', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-run-'));
    const model = tinyModel();
    const spec = PreprocessSpecSchema.parse({ size: [9, 9], mode: 'caffe' });
    writeRun(dir, await artifactsOf(model), spec, ['cat', 'dog', 'fox']);
    const r = await exportRun(dir, { opset: 13 });
    expect(r.path).toBe(join(dir, 'model.onnx'));
    expect(r.opset).toBe(13);
    expect(r.inputName).toBe('pixels');
    expect(r.outputName).toBe('probabilities');
    const bytes = new Uint8Array(readFileSync(r.path));
    expect(r.bytes).toBe(bytes.byteLength);
    expect(r.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    checkOnnx(bytes);
    const md = metadataOf(bytes);
    expect(JSON.parse(md['headstart.labels']!)).toEqual(['cat', 'dog', 'fox']);
    expect(PreprocessSpecSchema.parse(JSON.parse(md['headstart.preprocess']!))).toEqual(spec);
    expect(JSON.parse(md['headstart.input_size']!)).toEqual([9, 9]);
    expect(md['headstart.source_run']).toBe('tiny-run');
    expect(md['headstart.version']).toMatch(/^\d+\.\d+\.\d+/);
    expect(md['headstart.sha256']).toMatch(/^[0-9a-f]{64}$/);
    const model2 = decodeModel(bytes);
    expect(model2.irVersion).toBe(8);
    expect(model2.opsetImport[0]!.version).toBe(13);
    const pixels = randomPixels(2, 9, 9, 3, 3);
    const expected = predict(model, applyPreprocess(Uint8Array.from(pixels), 2, spec), [2, 9, 9, 3]);
    const c = compare(expected, await runOrt(bytes, pixels, [2, 9, 9, 3]), 3);
    expect(c.maxAbs).toBeLessThanOrEqual(1e-4);
    rmSync(dir, { recursive: true });
  });

  it('carries the run\'s "unknown" threshold into the ONNX metadata; one given at export replaces it in headstart.json too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-run-'));
    const spec = PreprocessSpecSchema.parse({ size: [9, 9], mode: 'tf' });
    writeRun(dir, await artifactsOf(tinyModel()), spec, ['a', 'b', 'c']);
    const plain = await exportRun(dir);
    expect(metadataOf(new Uint8Array(readFileSync(plain.path)))['headstart.unknown_below']).toBeUndefined();
    const manifestPath = join(dir, 'headstart.json');
    writeFileSync(manifestPath, JSON.stringify({ ...JSON.parse(readFileSync(manifestPath, 'utf8')), unknown: { below: 0.55 } }));
    expect(metadataOf(new Uint8Array(readFileSync((await exportRun(dir)).path)))['headstart.unknown_below']).toBe('0.55');
    const given = await exportRun(dir, { unknownBelow: 0.7 });
    expect(metadataOf(new Uint8Array(readFileSync(given.path)))['headstart.unknown_below']).toBe('0.7');
    expect(JSON.parse(readFileSync(manifestPath, 'utf8')).unknown).toEqual({ below: 0.7 });
    rmSync(dir, { recursive: true });
  });

  it('names what is wrong with a run directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-run-'));
    await expect(exportRun(join(dir, 'nope'))).rejects.toThrowError(expect.objectContaining({ code: 'RUN_NOT_FOUND' }));
    writeFileSync(join(dir, 'headstart.json'), '{"format":"headstart-run@1"}');
    await expect(exportRun(dir)).rejects.toThrowError(expect.objectContaining({ code: 'MANIFEST_INVALID' }));
    const spec = PreprocessSpecSchema.parse({ size: [9, 9], mode: 'tf' });
    writeRun(dir, await artifactsOf(tinyModel()), spec, ['a', 'b', 'c']);
    rmSync(join(dir, 'model'), { recursive: true });
    await expect(exportRun(dir)).rejects.toThrowError(expect.objectContaining({ code: 'RUN_INCOMPLETE' }));
  });
});

describe('exportLayersModel', () => {
  it('exports any model.json without preprocessing, checks labels, and exports a feature extractor', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-model-'));
    const model = tinyModel();
    const spec = PreprocessSpecSchema.parse({ size: [9, 9], mode: 'none' });
    writeRun(dir, await artifactsOf(model), spec, ['a', 'b', 'c']);
    const json = join(dir, 'model', 'model.json');
    const pixels = randomPixels(1, 9, 9, 3, 4);

    const plain = await exportLayersModel(json, { out: join(dir, 'plain.onnx') });
    const plainBytes = new Uint8Array(readFileSync(plain.path));
    checkOnnx(plainBytes);
    expect(metadataOf(plainBytes)['headstart.preprocess']).toBeUndefined();
    expect(compare(predict(model, pixels, [1, 9, 9, 3]), await runOrt(plainBytes, pixels, [1, 9, 9, 3]), 3).maxAbs).toBeLessThanOrEqual(1e-4);

    await expect(exportLayersModel(json, { out: join(dir, 'x.onnx'), labels: ['a', 'b'] })).rejects.toThrowError(expect.objectContaining({ code: 'SPEC_MISMATCH' }));
    await expect(exportLayersModel(json, { out: join(dir, 'x.onnx'), preprocess: { ...spec, size: [10, 10] } })).rejects.toThrowError(
      expect.objectContaining({ code: 'SPEC_MISMATCH' }),
    );
    await expect(exportLayersModel(json, { out: join(dir, 'x.onnx'), preprocess: { size: [9, 9], mode: 'imagenet' as 'tf' } })).rejects.toThrowError(
      expect.objectContaining({ code: 'SPEC_INVALID' }),
    );
    const short = await exportLayersModel(json, { out: join(dir, 'short.onnx'), preprocess: { size: [9, 9], mode: 'torch' } });
    expect(JSON.parse(metadataOf(new Uint8Array(readFileSync(short.path)))['headstart.preprocess']!)).toEqual(PreprocessSpecSchema.parse({ size: [9, 9], mode: 'torch' }));
    await expect(exportLayersModel(json, { out: join(dir, 'x.onnx'), featureExtractor: { cut: 'nope' } })).rejects.toThrowError(
      expect.objectContaining({ code: 'LAYER_NOT_FOUND' }),
    );

    const fe = await exportLayersModel(json, { out: join(dir, 'features.onnx'), featureExtractor: { cut: 'features_relu' } });
    expect(fe.outputName).toBe('features');
    expect(fe.outputShape).toEqual([-1, 5, 5, 4]);
    const feBytes = new Uint8Array(readFileSync(fe.path));
    checkOnnx(feBytes);
    const cutModel = tfl.model({ inputs: model.inputs, outputs: model.getLayer('features_relu').output as tfl.SymbolicTensor });
    const expected = predict(cutModel, pixels, [1, 9, 9, 3]);
    const actual = await runOrt(feBytes, pixels, [1, 9, 9, 3]);
    // Features are unnormalised activations (hundreds on 0..255 input): compare relative to their scale.
    const scale = Math.max(...Array.from(expected, Math.abs));
    expect(scale).toBeGreaterThan(1);
    expect(compare(expected, actual, 4).maxAbs / scale).toBeLessThanOrEqual(1e-6);

    const pooled = await exportLayersModel(json, { out: join(dir, 'pooled.onnx'), featureExtractor: { cut: 'features_relu', pooling: 'avg' } });
    expect(pooled.outputShape).toEqual([-1, 4]);
    const poolModel = tfl.model({ inputs: model.inputs, outputs: model.getLayer('pool').output as tfl.SymbolicTensor });
    const pooledBytes = new Uint8Array(readFileSync(pooled.path));
    checkOnnx(pooledBytes);
    const pooledOut = await runOrt(pooledBytes, pixels, [1, 9, 9, 3]);
    expect(compare(predict(poolModel, pixels, [1, 9, 9, 3]), pooledOut, 4).maxAbs / scale).toBeLessThanOrEqual(1e-6);
    tf.disposeVariables();
    rmSync(dir, { recursive: true });
  });
});
