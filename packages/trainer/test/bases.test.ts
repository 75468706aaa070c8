import { beforeAll, describe, expect, it } from 'vitest';
import { listBases, loadBase, selectBackend } from '../src/index.ts';
import { tfc } from '../src/tf.ts';
import { codeOf, makeTinyBase, tempDir } from './fixtures.ts';


describe('base catalogue and loaders', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('lists mobilenet_v2 and inception_v3 with honest provenance', () => {
    const bases = listBases();
    const m = bases.find((b) => b.id === 'mobilenet_v2');
    expect(m).toMatchObject({ inputSize: [224, 224], preprocess: 'tf', defaultCut: 'out_relu', resizable: true });
    expect(bases.find((b) => b.id === 'inception_v3')).toMatchObject({ inputSize: [299, 299], defaultCut: 'mixed10' });
    expect(m?.provenance).toMatch(/ImageNet.*nsfwjs.*quantised/);
  });

  it('loads mobilenet_v2 at 96 px cut at out_relu, classifier dropped, weights dequantised', async () => {
    const base = await loadBase('mobilenet_v2', { inputSize: 96 });
    expect(base.cut).toBe('out_relu');
    expect(base.inputSize).toEqual([96, 96]);
    expect(base.model.outputs[0]?.shape).toEqual([null, 3, 3, 1280]);
    expect(base.model.layers.some((l) => l.name.startsWith('dense'))).toBe(false);
    const w = base.model.getLayer('Conv1').getWeights()[0] as tfc.Tensor;
    const vals = w.dataSync();
    expect(new Set(Array.from(vals.slice(0, 200))).size).toBeGreaterThan(10);
    const y = base.model.predict(tfc.randomUniform([2, 96, 96, 3], -1, 1, 'float32', 1)) as tfc.Tensor;
    const s = y.dataSync();
    expect(s.every((v) => Number.isFinite(v) && v >= 0 && v <= 6)).toBe(true);
    const early = await loadBase('mobilenet_v2', { inputSize: 96, cut: 'block_12_add' });
    expect(early.model.outputs[0]?.shape).toEqual([null, 6, 6, 96]);
  });

  it('names the culprit: unknown base, bad cut, unsupported input size', async () => {
    const unknown = await codeOf(loadBase('resnet_9000'));
    expect(unknown.code).toBe('BASE_UNKNOWN');
    expect(unknown.message).toContain('resnet_9000');
    const cut = await codeOf(loadBase('mobilenet_v2', { cut: 'block_99_add' }));
    expect(cut.code).toBe('LAYER_NOT_FOUND');
    expect(cut.message).toContain('block_99_add');
    expect(cut.message).toContain('out_relu');
    const size = await codeOf(loadBase('mobilenet_v2', { inputSize: 16 }));
    expect(size.code).toBe('INPUT_SIZE_UNSUPPORTED');
    expect(size.message).toContain('16');
  });

  it('loads a bring-your-own layers model from a path, cut at the global-pool input', async () => {
    const dir = await tempDir();
    const path = await makeTinyBase(dir);
    const base = await loadBase(path, { preprocess: 'none' });
    expect(base.cut).toBe('out');
    expect(base.preprocess).toBe('none');
    expect(base.model.outputs[0]?.shape).toEqual([null, 8, 8, 8]);
    expect(base.layers.map((l) => l.name)).toEqual(['c1', 'bn1', 'r1', 'c2', 'bn2', 'out']);
    const resized = await loadBase(path, { inputSize: 32, cut: 'r1' });
    expect(resized.model.outputs[0]?.shape).toEqual([null, 32, 32, 6]);
    const fixed = await codeOf(loadBase(path, { inputSize: 32, cut: 'cls' }));
    expect(fixed.code).toBe('INPUT_SIZE_UNSUPPORTED');
    expect(fixed.message).toContain('32');
  });

  it('reports an unreachable URL as BASE_UNREACHABLE with the URL', async () => {
    const cacheDir = await tempDir();
    const failing: typeof fetch = async () => {
      throw new TypeError('fetch failed (ENOTFOUND models.example.invalid)');
    };
    const e = await codeOf(loadBase('https://models.example.invalid/m/model.json', { cacheDir, fetch: failing }));
    expect(e.code).toBe('BASE_UNREACHABLE');
    expect(e.message).toContain('https://models.example.invalid/m/model.json');
    const real = await codeOf(loadBase('http://127.0.0.1:9/model.json', { cacheDir }));
    expect(real.code).toBe('BASE_UNREACHABLE');
  });
});
