/**
 * Keras `.h5` (Keras 2) and `.keras` (Keras 3) bases: weight-exact loading against a forward pass
 * computed independently in NumPy by test/fixtures/keras/make_fixtures.py, the layer coverage,
 * and a clear error naming unsupported layers.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportRun } from '@headstart/exporter';
import { verifyExport } from '../src/parity/index.ts';
import { loadBase, selectBackend, train } from '../src/index.ts';
import { tfc } from '../src/tf.ts';
import { codeOf, makeImageDataset, tempDir } from './fixtures.ts';

const DIR = fileURLToPath(new URL('./fixtures/keras/', import.meta.url));
interface Arr {
  shape: number[];
  data: number[];
}
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Record<string, Record<string, Arr>> & { input: Arr };

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

async function outputAt(file: string, cut: string): Promise<{ shape: (number | null)[]; values: Float32Array }> {
  const base = await loadBase(join(DIR, file), { cut, preprocess: 'none' });
  const x = tfc.tensor(expected.input.data, expected.input.shape);
  const y = base.model.predict(x) as tfc.Tensor;
  const out = { shape: y.shape, values: y.dataSync() as Float32Array };
  x.dispose();
  y.dispose();
  base.model.dispose();
  return out;
}

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('Keras bases', () => {
  it.each([
    ['keras2-small.h5', 'out_relu'],
    ['keras2-small.h5', 'predictions'],
    ['keras3-small.keras', 'pool_cat'],
    ['keras3-small.keras', 'dense'],
  ])('%s up to %s matches the NumPy forward pass', async (file, cut) => {
    const want = expected[file]?.[cut] as Arr;
    const got = await outputAt(file, cut);
    expect(got.shape).toEqual(want.shape);
    const scale = Math.max(1, ...want.data.map(Math.abs));
    expect(maxAbsDiff(got.values, want.data) / scale).toBeLessThan(1e-5);
  });

  it('cuts at the last spatial layer by default and carries the layer list', async () => {
    const base = await loadBase(join(DIR, 'keras2-small.h5'));
    expect(base.cut).toBe('out_relu');
    expect(base.layers.map((l) => l.className)).toEqual([
      'Rescaling', 'ZeroPadding2D', 'Conv2D', 'BatchNormalization', 'ReLU', 'DepthwiseConv2D', 'BatchNormalization', 'Activation', 'Conv2D', 'Add', 'SeparableConv2D', 'Concatenate', 'MaxPooling2D', 'Conv2D', 'ReLU',
    ]);
    expect(base.provenance).toContain('Keras 2.13.1');
    base.model.dispose();
  });

  it('names unsupported layers (all of them) and refuses weights-only files', async () => {
    const dir = await tempDir();
    const zip = unzipSync(new Uint8Array(readFileSync(join(DIR, 'keras3-small.keras'))));
    const config = JSON.parse(new TextDecoder().decode(zip['config.json'])) as { config: { layers: { class_name: string; name: string }[] } };
    const layers = config.config.layers;
    (layers[4] as { class_name: string }).class_name = 'LayerNormalization';
    (layers[7] as { class_name: string }).class_name = 'MyCustomPool';
    const bad = join(dir, 'bad.keras');
    await writeFile(bad, zipSync({ ...zip, 'config.json': strToU8(JSON.stringify(config)) }));
    const e = await codeOf(loadBase(bad));
    expect(e.code).toBe('UNSUPPORTED_LAYER');
    expect(e.message).toContain('act_a (LayerNormalization)');
    expect(e.message).toContain('avg (MyCustomPool)');

    const weightsOnly = await codeOf(loadBase(join(DIR, 'keras2-weights-only.h5')));
    expect(weightsOnly.code).toBe('MODEL_INVALID');
    expect(weightsOnly.message).toContain('no model_config');

    const notH5 = join(dir, 'x.h5');
    await writeFile(notH5, 'not hdf5');
    expect((await codeOf(loadBase(notH5))).code).toBe('MODEL_INVALID');
  });
});

describe('Keras bases train and export', () => {
  it.each(['keras2-small.h5', 'keras3-small.keras'])('%s: head + fine-tune train, the ONNX export matches TF.js within 1e-4', async (file) => {
    const root = await tempDir();
    const data = await makeImageDataset(join(root, 'data'), { classes: 3, perClass: 8, size: 16, seed: 4 });
    const r = await train({
      data,
      out: join(root, 'run'),
      base: join(DIR, file),
      preprocess: 'none',
      backend: 'cpu',
      schedule: {
        phase1: { epochs: 2, batchSize: 8, learningRate: 1e-2, earlyStopping: false, reduceOnPlateau: false },
        phase2: { epochs: 1, batchSize: 8, learningRate: 1e-3, unfreeze: { kind: 'top', n: 3 } },
        seed: 2,
      },
    });
    expect(r.manifest.base.inputSize).toEqual([16, 16]);
    expect(r.manifest.base.provenance).toContain('Keras');
    const exported = await exportRun(r.runDir);
    const parity = await verifyExport({ modelJson: join(r.runDir, 'model', 'model.json'), onnx: exported.path, preprocess: r.manifest.preprocess, tolerance: 1e-4 });
    expect(parity.ok).toBe(true);
    expect(parity.maxAbsDiff).toBeLessThanOrEqual(1e-4);
  });
});
