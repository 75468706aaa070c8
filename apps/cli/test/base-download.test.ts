/**
 * `headstart train --base mobilenet_v2_100` against a loopback fixture server standing in for
 * storage.googleapis.com through HEADSTART_MODEL_MIRROR: downloads with progress, verifies and
 * caches, trains and exports (parity-checked); a second run does not download; a corrupted
 * cache file is detected and replaced. `models` shows the base as cached; `models pull`/`pin`.
 */
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreprocessSpec } from '@headstart/core';
import { startFixtureServer, type FixtureServer } from '@headstart/core-node/testing/http';
import { verifyExport } from '@headstart/trainer/parity';
import { main } from '../src/main.ts';
import { captureIo } from './fakes.ts';
import { writeTinyDataset } from './tiny-dataset.ts';

const MODEL_PATH = '/teachable-machine-models/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.00_224_no_top/model.json';
const SHARD_PATH = MODEL_PATH.replace('model.json', 'group1-shard1of1.bin');

/** A two-layer stand-in for MobileNetV2 no-top (Conv1 → ReLU(6) named out_relu), weights from a fixed sequence. */
function fixtureModel(): { json: Uint8Array; shard: Uint8Array } {
  const kernel = Float32Array.from({ length: 3 * 3 * 3 * 8 }, (_, i) => Math.sin(i * 0.7) * 0.5);
  const bias = Float32Array.from({ length: 8 }, (_, i) => 0.05 * (i - 3));
  const shard = new Uint8Array(kernel.byteLength + bias.byteLength);
  shard.set(new Uint8Array(kernel.buffer), 0);
  shard.set(new Uint8Array(bias.buffer), kernel.byteLength);
  const conv = { name: 'Conv1', trainable: true, dtype: 'float32', filters: 8, kernel_size: [3, 3], strides: [2, 2], padding: 'same', data_format: 'channels_last', dilation_rate: [1, 1], activation: 'linear', use_bias: true, kernel_initializer: { class_name: 'Zeros', config: {} }, bias_initializer: { class_name: 'Zeros', config: {} } };
  const json = {
    format: 'layers-model',
    generatedBy: 'headstart test fixture',
    convertedBy: null,
    modelTopology: {
      class_name: 'Model',
      keras_version: '2.2.4',
      backend: 'tensorflow',
      config: {
        name: 'mobilenetv2_1.00_224',
        layers: [
          { name: 'input_1', class_name: 'InputLayer', config: { batch_input_shape: [null, 224, 224, 3], dtype: 'float32', sparse: false, name: 'input_1' }, inbound_nodes: [] },
          { name: 'Conv1', class_name: 'Conv2D', config: conv, inbound_nodes: [[['input_1', 0, 0, {}]]] },
          { name: 'out_relu', class_name: 'ReLU', config: { name: 'out_relu', trainable: true, dtype: 'float32', max_value: 6 }, inbound_nodes: [[['Conv1', 0, 0, {}]]] },
        ],
        input_layers: [['input_1', 0, 0]],
        output_layers: [['out_relu', 0, 0]],
      },
    },
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [{ name: 'Conv1/kernel', shape: [3, 3, 3, 8], dtype: 'float32' }, { name: 'Conv1/bias', shape: [8], dtype: 'float32' }] }],
  };
  return { json: new TextEncoder().encode(JSON.stringify(json)), shard };
}

let server: FixtureServer;
let dir = '';
const saved: Record<string, string | undefined> = {};

async function headstart(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(['node', 'headstart', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-download-'));
  await writeTinyDataset(join(dir, 'data'), 8, 32);
  const m = fixtureModel();
  server = await startFixtureServer({ [MODEL_PATH]: m.json, [SHARD_PATH]: m.shard });
  for (const k of ['HEADSTART_CACHE', 'HEADSTART_MODEL_MIRROR']) saved[k] = process.env[k];
  process.env['HEADSTART_CACHE'] = join(dir, 'cache');
  process.env['HEADSTART_MODEL_MIRROR'] = server.origin;
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await server.close();
});

describe('a downloadable catalogue base through the mirror', () => {
  const train = (out: string, ...extra: string[]) =>
    headstart('train', join(dir, 'data'), '--out', join(dir, out), '--base', 'mobilenet_v2_100', '--input-size', '32', '--epochs', '2', '--fine-tune-epochs', '0', '--plain', ...extra);

  it('downloads with progress, caches, trains and exports; a second run does not download; corruption is replaced', async () => {
    const before = await headstart('models');
    expect(before.out).toMatch(/mobilenet_v2_100\s+224×224\s+yes\s+tf\s+out_relu\s+not cached/);

    const first = await train('r1');
    expect(first.code, first.err + first.out).toBe(0);
    expect(first.out).toContain(`downloading ${server.origin}${MODEL_PATH}`);
    expect(first.out).toContain(`saved ${join(dir, 'cache', 'bases', 'mobilenet_v2_100', 'group1-shard1of1.bin')}`);
    expect(first.out).toMatch(/done in .* base mobilenet_v2_100/);
    expect((await stat(join(dir, 'r1', 'model.onnx'))).size).toBeGreaterThan(0);
    const manifest = JSON.parse(await readFile(join(dir, 'r1', 'headstart.json'), 'utf8')) as { base: { id: string; source: string }; preprocess: PreprocessSpec };
    const parity = await verifyExport({ modelJson: join(dir, 'r1', 'model', 'model.json'), onnx: join(dir, 'r1', 'model.onnx'), preprocess: manifest.preprocess, tolerance: 1e-4 });
    expect(parity.ok).toBe(true);
    expect(manifest.base.id).toBe('mobilenet_v2_100');
    expect(manifest.base.source).toContain('recorded at first download');
    expect(server.requests.map((r) => r.path)).toEqual([MODEL_PATH, SHARD_PATH]);

    const second = await train('r2', '--no-export');
    expect(second.code, second.err).toBe(0);
    expect(second.out).not.toContain('downloading');
    expect(server.requests).toHaveLength(2);

    const shard = join(dir, 'cache', 'bases', 'mobilenet_v2_100', 'group1-shard1of1.bin');
    await writeFile(shard, 'not the weights');
    const third = await train('r3', '--no-export');
    expect(third.code, third.err).toBe(0);
    expect(third.out).toContain(`BASE_CACHE_CORRUPT: Cached ${shard} has sha256`);
    expect(third.out).toContain(`downloading ${server.origin}${SHARD_PATH}`);
    expect(server.requests.map((r) => r.path)).toEqual([MODEL_PATH, SHARD_PATH, SHARD_PATH]);

    const after = await headstart('models');
    expect(after.out).toMatch(/mobilenet_v2_100\s+224×224\s+yes\s+tf\s+out_relu\s+cached/);
    const pin = await headstart('models', 'pin', 'mobilenet_v2_100');
    expect(pin.out).toMatch(/'group1-shard1of1\.bin': '[0-9a-f]{64}'/);
    const pull = await headstart('models', 'pull', 'mobilenet_v2_100');
    expect(pull.out).toContain('already cached');
  });

  it('offline: a clear error names the URL and the file to place (exit 2)', async () => {
    process.env['HEADSTART_MODEL_MIRROR'] = 'http://127.0.0.1:9';
    try {
      const r = await headstart('models', 'pull', 'mobilenet_v2_050');
      expect(r.code).toBe(2);
      expect(r.err).toContain('http://127.0.0.1:9/teachable-machine-models/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.50_224_no_top/model.json');
      expect(r.err).toContain(join(dir, 'cache', 'bases', 'mobilenet_v2_050', 'model.json'));
    } finally {
      process.env['HEADSTART_MODEL_MIRROR'] = server.origin;
    }
  });
});
