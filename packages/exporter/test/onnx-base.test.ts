import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isHeadstartError } from '@headstart/core';
import { decodeModelMessage, headOpsetFor, onnxBaseBytes, openOnnxBase } from '../src/index.ts';
import { buildTinyCnnOnnx, TINY_CNN_TENSORS, type TinyCnnOptions } from '../testing/index.ts';
import { checkOnnx, runOrt } from './helpers/onnx.ts';

async function fixture(opts: TinyCnnOptions): Promise<{ path: string; bytes: Uint8Array }> {
  const dir = await mkdtemp(join(tmpdir(), 'hs-onnx-base-'));
  const bytes = buildTinyCnnOnnx(opts);
  const path = join(dir, `tiny-${opts.layout}.onnx`);
  await writeFile(path, bytes);
  return { path, bytes };
}

type Init = { name: string; rawData: Uint8Array };
const inits = (bytes: Uint8Array): Map<string, Uint8Array> =>
  new Map(((decodeModelMessage(bytes)['graph'] as { initializer: Init[] }).initializer).map((t) => [t.name, Uint8Array.from(t.rawData)]));

describe('openOnnxBase (frozen ONNX bases)', () => {
  it('finds the NCHW layout and the default cut before the pooling, truncates, and keeps the kept weights byte for byte', async () => {
    const { path, bytes } = await fixture({ layout: 'nchw' });
    checkOnnx(bytes);
    const base = await openOnnxBase(path);
    expect(base.layout).toBe('nchw');
    expect(base.inputSize).toEqual([16, 16]);
    expect(base.cut).toBe(TINY_CNN_TENSORS.nchw.features);
    expect(base.defaultCutReason).toContain('GlobalAveragePool → Flatten');
    expect(base.keptNodes).toBeLessThan(base.totalNodes);
    const truncated = onnxBaseBytes(base);
    const before = inits(bytes);
    const after = inits(truncated);
    expect([...after.keys()].sort()).toEqual([...before.keys()].filter((k) => !k.startsWith('fc.')).sort());
    for (const [name, raw] of after) expect(Buffer.from(raw).equals(Buffer.from(before.get(name)!)), name).toBe(true);
    // Dynamic batch (the file said "batch"): 2 images → [2, 8, 8, 8].
    const out = await runOrt(truncated, new Float32Array(2 * 3 * 16 * 16).fill(0.5), [2, 3, 16, 16]);
    expect(out.length).toBe(2 * 8 * 8 * 8);
  });

  it('finds NHWC inputs (tf2onnx style) and cuts at the NHWC map before ReduceMean/Reshape → MatMul', async () => {
    const { path } = await fixture({ layout: 'nhwc', fixedBatch: true });
    const base = await openOnnxBase(path);
    expect(base.layout).toBe('nhwc');
    expect(base.cut).toBe(TINY_CNN_TENSORS.nhwc.features);
    // A batch of 3 through a file whose batch was fixed at 1.
    const out = await runOrt(onnxBaseBytes(base), new Float32Array(3 * 16 * 16 * 3).fill(0.25), [3, 16, 16, 3]);
    expect(out.length).toBe(3 * 8 * 8 * 4);
  });

  it('names candidates for a wrong cut, and asks for --input-size when the size is dynamic', async () => {
    const { path } = await fixture({ layout: 'nchw', size: 'dynamic' });
    const err = await openOnnxBase(path, { cut: 'features_mapp', inputSize: [16, 16] }).catch((e: unknown) => e);
    expect(isHeadstartError(err, 'LAYER_NOT_FOUND')).toBe(true);
    expect((err as Error).message).toContain('"features_map"');
    expect((err as Error).message).toContain('Default cut');
    const noSize = await openOnnxBase(path).catch((e: unknown) => e);
    expect(isHeadstartError(noSize, 'INPUT_SIZE_UNSUPPORTED')).toBe(true);
    expect((noSize as Error).message).toContain('--input-size');
    const early = await openOnnxBase(path, { cut: TINY_CNN_TENSORS.nchw.early, inputSize: [20, 20] });
    expect(early.inputSize).toEqual([20, 20]);
    const out = await runOrt(onnxBaseBytes(early), new Float32Array(3 * 20 * 20), [1, 3, 20, 20]);
    expect(out.length).toBe(6 * 20 * 20);
  });

  it('composes heads at the base opset from 11 on (head converted at 13..21) and refuses older ones with the way out', () => {
    expect(headOpsetFor(11)).toBe(13);
    expect(headOpsetFor(17)).toBe(17);
    expect(headOpsetFor(23)).toBe(21);
    expect(() => headOpsetFor(9)).toThrow(/opset 9.*opset_version=17/);
  });
});
