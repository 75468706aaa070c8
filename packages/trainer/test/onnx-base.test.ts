import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isHeadstartError, type TrainerEvent } from '@headstart/core';
import { decodeModelMessage, exportRun } from '@headstart/exporter';
import { buildTinyCnnOnnx, TINY_CNN_TENSORS } from '@headstart/exporter/testing';
import { evaluateRun, loadLayersModelFile, selectBackend, train, type TrainOptions } from '../src/index.ts';
import { verifyExport } from '../src/parity/index.ts';
import { makeImageDataset, tempDir } from './fixtures.ts';

type Init = { name: string; rawData: Uint8Array };
function initializers(bytes: Uint8Array): Map<string, Buffer> {
  const graph = decodeModelMessage(bytes)['graph'] as { initializer: Init[] };
  return new Map(graph.initializer.map((t) => [t.name, Buffer.from(t.rawData)]));
}

describe('train on a frozen ONNX base (tiny ONNX CNNs, generated images)', () => {
  let data: string;
  let root: string;
  const files: Record<'nchw' | 'nhwc', string> = { nchw: '', nhwc: '' };
  const opts = (base: string, out: string, extra: Partial<TrainOptions> = {}): TrainOptions => ({
    data,
    out,
    base,
    backend: 'cpu',
    schedule: { phase1: { epochs: 3, batchSize: 8, learningRate: 1e-2 }, seed: 7 },
    ...extra,
  });

  beforeAll(async () => {
    await selectBackend('cpu');
    root = await tempDir('hs-onnx-base-');
    data = await makeImageDataset(join(root, 'data'), { classes: 3, perClass: 10, size: 24 });
    await mkdir(join(root, 'models'));
    for (const layout of ['nchw', 'nhwc'] as const) {
      files[layout] = join(root, 'models', `tiny-${layout}.onnx`);
      await writeFile(files[layout], buildTinyCnnOnnx({ layout, seed: layout === 'nchw' ? 3 : 4 }));
    }
  });

  async function exportAndVerify(runDir: string, base: string): Promise<void> {
    const exported = await exportRun(runDir);
    const manifest = JSON.parse(await readFile(join(runDir, 'headstart.json'), 'utf8'));
    const parity = await verifyExport({ modelJson: join(runDir, 'model', 'model.json'), onnx: exported.path, preprocess: manifest.preprocess, onnxBaseRun: manifest, batchSizes: [1, 5] });
    expect(parity.ok, JSON.stringify(parity.cases)).toBe(true);
    expect(parity.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    // The composed file is valid ONNX (Debian python3-onnx's checker, full shape inference).
    const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    execFileSync(python, ['-c', 'import sys, onnx; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', exported.path], { stdio: 'pipe' });
    // Every weight of the base up to the cut is carried byte for byte; nothing after it.
    const original = initializers(await readFile(base));
    const composed = initializers(await readFile(exported.path));
    const kept = [...original.keys()].filter((k) => composed.has(k));
    expect(kept.length).toBeGreaterThan(0);
    for (const k of kept) expect(composed.get(k)!.equals(original.get(k)!), k).toBe(true);
    expect(kept.some((k) => k.startsWith('fc.'))).toBe(false);
    expect(exported.inputShape).toEqual([-1, 16, 16, 3]);
    expect(exported.outputShape).toEqual([-1, 3]);
  }

  it('NCHW (torchvision-style): trains the head on cached onnxruntime features, no phase 2, exports base + head at parity', async () => {
    const events: TrainerEvent[] = [];
    const r = await train(opts(files.nchw, join(root, 'nchw')), (e) => events.push(e));
    expect(r.manifest.base.cut).toBe(TINY_CNN_TENSORS.nchw.features);
    expect(r.manifest.base.onnx).toMatchObject({ layout: 'nchw', featureShape: [8, 8, 8] });
    expect(r.manifest.preprocess.mode).toBe('torch');
    expect(r.manifest.versions['feature-engine']).toBe('onnxruntime-node');
    expect(r.manifest.decision?.lines.some((l) => l.startsWith('phase 2: off (a frozen ONNX base'))).toBe(true);
    expect(events.filter((e) => e.type === 'phase-start').map((e) => (e as { phase: string }).phase)).toEqual(['phase1']);
    const said = events.filter((e) => e.type === 'decision').flatMap((e) => (e as { lines: string[] }).lines);
    expect(said.some((l) => l.includes('GlobalAveragePool → Flatten') && l.includes('NCHW'))).toBe(true);
    await exportAndVerify(r.runDir, files.nchw);
    const again = await evaluateRun(r.runDir);
    expect(again.accuracy).toBe(r.report.accuracy);
  });

  it('NHWC (tf2onnx-style), measured recipe with a standardised head: the decision says why phase 2 is off; exports at parity', async () => {
    const r = await train(opts(files.nhwc, join(root, 'nhwc'), { recipe: 'measured', preprocess: 'tf', schedule: { phase1: { epochs: 2, batchSize: 8 }, seed: 7 } }));
    expect(r.manifest.base.onnx).toMatchObject({ layout: 'nhwc', featureShape: [8, 8, 4] });
    expect(r.manifest.base.cut).toBe(TINY_CNN_TENSORS.nhwc.features);
    expect(r.manifest.head.standardize).toBe(true);
    expect(r.manifest.schedule.phase2.epochs).toBe(0);
    expect(r.manifest.decision?.lines).toContain('phase 2: off (a frozen ONNX base cannot be fine-tuned here: it runs on onnxruntime, which computes no gradients, so only the head trains (phase 1))');
    await exportAndVerify(r.runDir, files.nhwc);
  });

  it('resumes a run on an ONNX base exactly after an interrupt', async () => {
    const headWeights = async (dir: string): Promise<number[][]> => (await loadLayersModelFile(join(dir, 'model', 'model.json'))).weights.map((w) => Array.from(w.read().dataSync()));
    const ref = await train(opts(files.nchw, join(root, 'ref')));
    const out = join(root, 'resumed');
    const ctl = new AbortController();
    const err = await train(opts(files.nchw, out, { signal: ctl.signal }), (e) => {
      if (e.type === 'batch' && e.epoch === 2 && e.batch === 1) ctl.abort();
    }).catch((e: unknown) => e);
    expect(isHeadstartError(err, 'INTERRUPTED')).toBe(true);
    const res = await train(opts(files.nchw, out, { resume: true }));
    expect(res.manifest.base.onnx?.sha256).toBe(ref.manifest.base.onnx?.sha256);
    expect(await headWeights(res.runDir)).toEqual(await headWeights(ref.runDir));
  });

  it('refuses fine-tuning and a wrong cut before any work, naming what to do', async () => {
    const ft = await train(opts(files.nchw, join(root, 'ft'), { schedule: { phase2: { epochs: 2 } } })).catch((e: unknown) => e);
    expect(isHeadstartError(ft, 'USAGE')).toBe(true);
    expect((ft as Error).message).toContain('cannot be fine-tuned');
    const cut = await train(opts(files.nchw, join(root, 'cut'), { cut: 'features_mapp' })).catch((e: unknown) => e);
    expect(isHeadstartError(cut, 'LAYER_NOT_FOUND')).toBe(true);
    expect((cut as Error).message).toContain(`"${TINY_CNN_TENSORS.nchw.features}"`);
  });
});
