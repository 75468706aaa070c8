import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeArtifact, readLayersArtifact } from '../src/index.ts';
import { float16ToFloat32, float32ToFloat16 } from '@headstart/core';

const topology = { class_name: 'Sequential', config: { name: 's', layers: [] } };

describe('readLayersArtifact / decodeArtifact', () => {
  it('dequantises uint8 and uint16 weights with min/scale, decodes float16 and float32', () => {
    const u8 = Uint8Array.from([0, 1, 255]);
    const u16 = new Uint8Array(Uint16Array.from([0, 2, 65535]).buffer);
    const f16 = new Uint8Array(Uint16Array.from([0x3c00, 0xc000, 0x3555]).buffer);
    const f32 = new Uint8Array(Float32Array.from([1.5, -2]).buffer);
    const a = decodeArtifact({
      modelTopology: topology,
      weightSpecs: [
        { name: 'a/kernel', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', min: -1, scale: 0.5 } },
        { name: 'b/kernel', shape: [3], dtype: 'float32', quantization: { dtype: 'uint16', min: 2, scale: 0.25 } },
        { name: 'c/kernel', shape: [3], dtype: 'float32', quantization: { dtype: 'float16' } },
        { name: 'd/kernel', shape: [2], dtype: 'float32' },
      ],
      weightData: [u8.buffer, u16.buffer, f16.buffer, f32.buffer],
    });
    expect(Array.from(a.weights.get('a/kernel')!.values)).toEqual([-1, -0.5, 126.5]);
    expect(Array.from(a.weights.get('b/kernel')!.values)).toEqual([2, 2.5, 2 + 65535 * 0.25]);
    const c = Array.from(a.weights.get('c/kernel')!.values);
    expect(c[0]).toBe(1);
    expect(c[1]).toBe(-2);
    expect(c[2]).toBeCloseTo(1 / 3, 3);
    expect(Array.from(a.weights.get('d/kernel')!.values)).toEqual([1.5, -2]);
  });

  it('rejects weight data that does not match the manifest', () => {
    expect(() =>
      decodeArtifact({ modelTopology: topology, weightSpecs: [{ name: 'a/kernel', shape: [4], dtype: 'float32' }], weightData: new ArrayBuffer(12) }),
    ).toThrowError(expect.objectContaining({ code: 'MODEL_INVALID' }));
    expect(() =>
      decodeArtifact({ modelTopology: topology, weightSpecs: [{ name: 'a/kernel', shape: [2], dtype: 'float32' }], weightData: new ArrayBuffer(12) }),
    ).toThrowError(/12 bytes but the manifest describes 8/);
  });

  it('reads model.json with several weight files from disk and names missing files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-artifact-'));
    writeFileSync(join(dir, 'group1-shard1of2.bin'), new Uint8Array(Float32Array.from([1, 2]).buffer));
    writeFileSync(join(dir, 'group1-shard2of2.bin'), new Uint8Array(Float32Array.from([3]).buffer));
    const manifest = [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: [{ name: 'a/kernel', shape: [3], dtype: 'float32' }] }];
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: topology, weightsManifest: manifest }));
    const a = await readLayersArtifact(join(dir, 'model.json'));
    expect(Array.from(a.weights.get('a/kernel')!.values)).toEqual([1, 2, 3]);

    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ modelTopology: topology, weightsManifest: [{ paths: ['nope.bin'], weights: [] }] }));
    await expect(readLayersArtifact(join(dir, 'bad.json'))).rejects.toThrowError(/nope\.bin/);
    writeFileSync(join(dir, 'graph.json'), JSON.stringify({ format: 'graph-model', weightsManifest: [] }));
    await expect(readLayersArtifact(join(dir, 'graph.json'))).rejects.toThrowError(/not a graph model|no modelTopology/);
    await expect(readLayersArtifact(join(dir, 'missing.json'))).rejects.toThrowError(expect.objectContaining({ code: 'MODEL_NOT_FOUND' }));
  });

  it('converts float32 to float16 and back with round-to-nearest', () => {
    for (const v of [0, 1, -2, 0.1, 65504, 1e-5, -3.14159]) {
      const back = float16ToFloat32(float32ToFloat16(v));
      expect(Math.abs(back - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 6e-8);
    }
    expect(float32ToFloat16(1e6)).toBe(0x7c00);
  });
});
