import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { decodeModel } from '@headstart/exporter';
import { buildTinyCnnOnnx, TINY_CNN_TENSORS } from '@headstart/exporter/testing';
import { main } from '../src/main.ts';
import { captureIo } from './fakes.ts';
import { writeLayersModel, writeRunManifest } from './run-fixture.ts';

/** A hand-written TF.js layers model: [N,4,4,3] → conv 2 filters → flatten → dense 3 softmax. */
function writeTinyModel(dir: string): string {
  const layers = [
    { class_name: 'Conv2D', config: { name: 'conv', batch_input_shape: [null, 4, 4, 3], filters: 2, kernel_size: [3, 3], strides: [2, 2], padding: 'same', activation: 'relu', use_bias: true } },
    { class_name: 'Flatten', config: { name: 'flat' } },
    { class_name: 'Dense', config: { name: 'dense', units: 3, activation: 'softmax', use_bias: true } },
  ];
  const specs = [
    { name: 'conv/kernel', shape: [3, 3, 3, 2] },
    { name: 'conv/bias', shape: [2] },
    { name: 'dense/kernel', shape: [8, 3] },
    { name: 'dense/bias', shape: [3] },
  ];
  const n = 54 + 2 + 24 + 3;
  return writeLayersModel(dir, 's', layers, specs, Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * 0.5));
}

function writeRunDir(dir: string): void {
  writeTinyModel(join(dir, 'model'));
  writeRunManifest(dir, { name: 'cli-run', base: { id: 'scratch', source: 'test', provenance: 'test', cut: 'conv', inputSize: [4, 4] }, preprocess: { size: [4, 4], mode: 'tf' } });
}

const run = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
  const io = captureIo();
  const code = await main(['node', 'headstart', 'export', ...args], io);
  return { code, out: io.out(), err: io.err() };
};

const metadata = (file: string): Record<string, string> =>
  Object.fromEntries(decodeModel(new Uint8Array(readFileSync(file))).metadataProps.map((p) => [p.key, p.value]));

describe('headstart export', () => {
  it('exports a run to <runDir>/model.onnx and verifies it against TF.js', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-cli-export-'));
    writeRunDir(dir);
    const r = await run(dir, '--verify', '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out) as { path: string; parity: { ok: boolean; cases: { batch: number }[] } };
    expect(summary.path).toBe(join(dir, 'model.onnx'));
    expect(summary.parity.ok).toBe(true);
    expect(summary.parity.cases.map((c) => c.batch)).toEqual([1, 8]);
    expect(JSON.parse(metadata(summary.path)['headstart.labels']!)).toEqual(['x', 'y', 'z']);
  });

  it('exports any model.json with --preprocess and --labels, fp16 and a chosen opset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-cli-model-'));
    const json = writeTinyModel(dir);
    writeFileSync(join(dir, 'labels.txt'), 'a\nb\nc\n');
    const out = join(dir, 'out.onnx');
    const r = await run('--model', json, '--preprocess', 'torch', '--labels', join(dir, 'labels.txt'), '--out', out, '--opset', '13', '--fp16');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`wrote ${out}`);
    const md = metadata(out);
    expect(JSON.parse(md['headstart.preprocess']!)).toMatchObject({ mode: 'torch', size: [4, 4] });
    expect(JSON.parse(md['headstart.labels']!)).toEqual(['a', 'b', 'c']);
  });

  it('exits 1 on usage errors and 2 on model problems', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-cli-bad-'));
    const json = writeTinyModel(dir);
    expect((await run()).code).toBe(1);
    expect((await run(dir, '--model', json)).code).toBe(1);
    expect((await run('--model', json, '--opset', '9')).code).toBe(1);
    expect((await run('--model', json, '--preprocess', 'imagenet')).code).toBe(1);
    const missing = await run(join(dir, 'no-such-run'));
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('RUN_NOT_FOUND');
    writeFileSync(join(dir, 'labels.txt'), 'only-one\n');
    const mismatch = await run('--model', json, '--labels', join(dir, 'labels.txt'), '--out', join(dir, 'x.onnx'));
    expect(mismatch.code).toBe(2);
    expect(mismatch.err).toContain('SPEC_MISMATCH');
  });

  it('exports a run on a frozen ONNX base as one graph, --verify runs that base before the head, and a changed base file is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-cli-onnx-base-'));
    const base = join(dir, 'tiny.onnx');
    const bytes = buildTinyCnnOnnx({ layout: 'nchw' });
    writeFileSync(base, bytes);
    // The head a run on it saves: features [8, 8, 8] (NHWC) → average pool → 3 classes.
    const layers = [
      { class_name: 'GlobalAveragePooling2D', config: { name: 'head_pool', batch_input_shape: [null, 8, 8, 8] } },
      { class_name: 'Dense', config: { name: 'head_logits', units: 3, activation: 'softmax', use_bias: true } },
    ];
    const specs = [{ name: 'head_logits/kernel', shape: [8, 3] }, { name: 'head_logits/bias', shape: [3] }];
    writeLayersModel(join(dir, 'run', 'model'), 'h', layers, specs, Float32Array.from({ length: 27 }, (_, i) => Math.cos(i * 0.9)));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    writeRunManifest(join(dir, 'run'), {
      name: 'onnx-run',
      base: { id: base, source: base, provenance: 'test', cut: TINY_CNN_TENSORS.nchw.features, inputSize: [16, 16], onnx: { path: base, sha256, layout: 'nchw', featureShape: [8, 8, 8] } },
      preprocess: { size: [16, 16], mode: 'torch' },
    });
    const ok = await run(join(dir, 'run'), '--verify');
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toContain('input pixels [-1,16,16,3] → output probabilities [-1,3]');
    expect(ok.out).toContain('parity OK');
    const graph = decodeModel(new Uint8Array(readFileSync(join(dir, 'run', 'model.onnx')))).graph;
    expect(graph.node.map((n) => n.opType)).toEqual(expect.arrayContaining(['Conv', 'BatchNormalization', 'MaxPool', 'Clip', 'Concat', 'GlobalAveragePool', 'Softmax']));
    // The base's own classifier (after the cut) is gone.
    expect(graph.initializer.map((t) => t.name)).not.toContain('fc.w');
    expect(graph.initializer.map((t) => t.name)).toContain('c1.w');
    writeFileSync(base, buildTinyCnnOnnx({ layout: 'nchw', seed: 99 }));
    const changed = await run(join(dir, 'run'));
    expect(changed.code).toBe(2);
    expect(changed.err).toContain('changed since training');
  });
});
