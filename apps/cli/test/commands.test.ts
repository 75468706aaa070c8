import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HeadstartError } from '@headstart/core';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/main.ts';
import type { Advice, BaseInfo, CliPorts, ExporterApi, TrainerApi } from '../src/ports.ts';
import { writeTinyDataset } from './tiny-dataset.ts';
import { captureIo, replayTrainer } from './fakes.ts';
import { scriptedRun } from './scripted-events.ts';

let trainer: TrainerApi = replayTrainer(scriptedRun());
let exporter: ExporterApi | undefined;
// main()'s collaborators: the fakes this test sets per case, in place of the real packages.
const ports: CliPorts = { loadTrainer: async () => trainer, loadExporter: async () => exporter };

const run = async (...args: string[]) => {
  const io = captureIo();
  const code = await main(['node', 'headstart', ...args], io, ports);
  return { code, out: io.out(), err: io.err() };
};

const report = {
  count: 30, accuracy: 0.8, topK: { top1: 0.8, top2: 0.95 }, labels: ['cat', 'dog', 'fox'],
  confusion: [[10, 2, 0], [1, 8, 1], [0, 2, 6]],
  perClass: [
    { label: 'cat', precision: 0.909, recall: 0.833, f1: 0.87, support: 12 },
    { label: 'dog', precision: 0.667, recall: 0.8, f1: 0.727, support: 10 },
    { label: 'fox', precision: 0.857, recall: 0.75, f1: 0.8, support: 8 },
  ],
  macroF1: 0.799, weightedF1: 0.8,
  confusedPairs: [{ actual: 'cat', predicted: 'dog', count: 2 }],
  topLosses: [{ index: 3, path: 'fox/3.png', actual: 'fox', predicted: 'dog', loss: 2.3, probability: 0.1, predictedProbability: 0.8 }],
};

// `train` creates its --out folder before anything else: relative run folders land in a temp folder.
const cwd = process.cwd();
beforeAll(async () => process.chdir(await mkdtemp(join(tmpdir(), 'headstart-commands-'))));
afterAll(() => process.chdir(cwd));

beforeEach(() => {
  trainer = replayTrainer(scriptedRun());
  exporter = undefined;
});

describe('headstart commands', () => {
  it('exit codes: --help 0, unknown command 1, missing --out 1, bad flag value 1', async () => {
    expect((await run('--help')).code).toBe(0);
    expect((await run('train', '--help')).out).toContain('--fine-tune-epochs');
    expect((await run('frobnicate')).code).toBe(1);
    expect((await run('train', 'data')).code).toBe(1);
    const bad = await run('train', 'data', '--out', 'r', '--head', 'mean');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('--head "mean"');
  });

  it('train --json streams events and ends with done (exit 0)', async () => {
    const seen: Parameters<TrainerApi['train']>[0][] = [];
    trainer = replayTrainer(scriptedRun(), seen);
    const r = await run('train', 'data/x', '--out', 'runs/t', '--epochs', '3', '--json');
    expect(r.code).toBe(0);
    const last = JSON.parse(r.out.trimEnd().split('\n').at(-1) ?? '{}') as { type: string; runDir: string };
    expect(last).toMatchObject({ type: 'done', runDir: 'runs/t' });
    expect(seen[0]).toMatchObject({ data: 'data/x', out: 'runs/t', schedule: { phase1: { epochs: 3 } } });
    expect(seen[0]?.signal).toBeInstanceOf(AbortSignal);
  });

  it('train exports by default and prints the next commands; --no-export skips the export', async () => {
    const exported: string[] = [];
    exporter = { exportRun: async (runDir) => (exported.push(runDir), { path: join(runDir, 'model.onnx'), bytes: 10, opset: 17, sha256: 'x' }) };
    const r = await run('train', 'data/x', '--out', 'runs/t', '--plain');
    expect(r.code).toBe(0);
    expect(exported).toEqual(['runs/t']);
    expect(r.out).toContain('next:');
    expect(r.out).toContain('npx headstart predict runs/t/model.onnx <image or folder>');
    expect(r.out).toContain('npx headstart publish runs/t --models models --name t');
    expect(r.out).toContain('npx headstart serve --models models');
    const skipped = await run('train', 'data/x', '--out', 'runs/u', '--plain', '--no-export');
    expect(skipped.code).toBe(0);
    expect(exported).toEqual(['runs/t']);
    expect(skipped.out).toContain('npx headstart export runs/u');
    expect(skipped.out).not.toContain('headstart predict');
  });

  it('train refuses an existing run before any work, naming --overwrite and --resume (exit 2)', async () => {
    const seen: Parameters<TrainerApi['train']>[0][] = [];
    trainer = replayTrainer(scriptedRun(), seen);
    await mkdir('runs/old', { recursive: true });
    await writeFile('runs/old/headstart.json', '{}');
    const r = await run('train', 'data/x', '--out', 'runs/old', '--plain');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error \[RUN_EXISTS\]: runs\/old already holds a run; pass --overwrite .* --resume/);
    expect(seen).toHaveLength(0);
  });

  it('train passes --overwrite to the trainer', async () => {
    const seen: Parameters<TrainerApi['train']>[0][] = [];
    trainer = replayTrainer(scriptedRun(), seen);
    await run('train', 'data/x', '--out', 'runs/t', '--overwrite', '--json', '--no-export');
    expect(seen[0]).toMatchObject({ out: 'runs/t', overwrite: true });
  });

  it('a data problem from the trainer exits 2 with the message', async () => {
    trainer = { ...trainer, train: () => Promise.reject(new HeadstartError('DATASET_UNUSABLE', 'data/x: class "fox" has 1 image')) };
    const r = await run('train', 'data/x', '--out', 'runs/t', '--plain');
    expect(r.code).toBe(2);
    expect(r.err).toContain('error [DATASET_UNUSABLE]: data/x: class "fox" has 1 image');
  });

  it('eval prints accuracy, labels, per-class table and confusion; --json the report', async () => {
    const calls: unknown[] = [];
    trainer = { ...trainer, evaluateRun: async (dir, o) => (calls.push([dir, o]), report) };
    const r = await run('eval', 'runs/t', '--data', 'd2', '--top-k', '2');
    expect(r.code).toBe(0);
    expect(calls).toEqual([['runs/t', { data: 'd2', topK: 2 }]]);
    expect(r.out).toContain('accuracy 80.0%  top1 80.0%  top2 95.0%  macro F1 0.799  (30 images)');
    expect(r.out).toContain('labels 0=cat 1=dog 2=fox');
    expect(r.out).toMatch(/dog\s+0\.667\s+0\.800\s+0\.727\s+10/);
    expect(r.out).toMatch(/1 dog\s+1\s+8\s+1/);
    expect(r.out).toContain('fox/3.png  fox → dog  loss 2.300');
    const j = await run('eval', 'runs/t', '--json');
    expect(JSON.parse(j.out)).toMatchObject({ accuracy: 0.8, labels: ['cat', 'dog', 'fox'], confusion: report.confusion });
  });

  it('models lists the catalogue with provenance', async () => {
    const bases: BaseInfo[] = [{ id: 'mobilenet_v2', inputSize: [224, 224], preprocess: 'tf', defaultCut: 'out_relu', probeCuts: ['out_relu', 'block_12_add'], sizeRange: [32, 512], bundle: 'mobilenet_v2', resizable: true, source: 'nsfwjs 4.4.0', provenance: 'ImageNet weights fine-tuned by nsfwjs authors', licence: 'MIT', origin: 'bundled', description: 'MobileNetV2 1.0' }];
    trainer = { ...trainer, listBases: () => bases };
    const r = await run('models');
    expect(r.out).toMatch(/mobilenet_v2\s+224×224\s+yes\s+tf\s+out_relu\s+bundled\s+MIT/);
    expect(r.out).toContain('source: nsfwjs 4.4.0');
    expect(r.out).toContain('provenance: ImageNet weights fine-tuned by nsfwjs authors');
    expect(JSON.parse((await run('models', '--json')).out)).toEqual(bases);
  });

  it('advise prints the case, reasons and a train command applying it', async () => {
    const advice: Advice = {
      case: 3, size: 'small', similar: false, cut: 'earlier', cutLayer: 'block_12_add',
      base: 'mobilenet_v2', trainCount: 80, classes: 4, probeAccuracy: 0.41, similarity: 0.21, probeImages: 80, probeFolds: 5,
      probes: [{ cut: 'out_relu', pooling: 'avg', dim: 1280, accuracy: 0.41, sqError: 0.81, excess: 0.21, excessSe: 0.02 }, { cut: 'block_12_add', pooling: 'flatten', dim: 3456, accuracy: 0.62, sqError: 0.6, excess: 0, excessSe: 0 }],
      head: { kind: 'dense', pooling: 'flatten', standardize: true, dropout: 0.2, blocks: [] },
      schedule: { phase1: { epochs: 20, learningRate: 1e-3, earlyStopping: false }, phase2: { epochs: 5, learningRate: 1e-5, unfreeze: { kind: 'top', n: 20 } }, augment: { horizontalFlip: true, rotation: 10 } },
      reasons: ['80 training images is small', 'linear-probe accuracy 0.41 says the data is far from ImageNet'],
    };
    trainer = { ...trainer, adviseForDataset: async () => advice };
    const r = await run('advise', 'data/x');
    expect(r.out).toContain('case 3: small dataset, different domain');
    expect(r.out).toContain('  - linear-probe accuracy 0.41 says the data is far from ImageNet');
    expect(r.out).toContain(
      'npx headstart train data/x --out runs/advised --cut block_12_add --head flatten --standardize --epochs 20 --fixed-epochs --lr 0.001 --fine-tune-epochs 5 --fine-tune-lr 0.00001 --unfreeze top:20 --augment flip,rotate=10',
    );
    expect(r.out).toContain('cut: block_12_add (measured accuracy, squared error: out_relu/avg 41.0% 0.810, block_12_add/flatten 62.0% 0.600)');
    expect(r.out).toContain('head: flatten pooling, standardised features');
    trainer = { ...trainer, adviseForDataset: async () => ({ ...advice, schedule: { phase1: { epochs: 30, batchSize: 16, earlyStopping: { patience: 10 } }, classWeights: 'none' as const, seed: 3 } }) as Advice };
    const p = await run('advise', 'data/x', '--base', 'mobilenet_v2', '--input-size', '128');
    expect(p.out).toContain('--base mobilenet_v2 --input-size 128 --cut block_12_add --head flatten --standardize --epochs 30 --batch-size 16 --patience 10 --class-weights none --seed 3');
  });

  it('demo checks the data, trains both phases, exports and prints how to predict and serve', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'headstart-demo-'));
    try {
      const data = join(dir, 'data');
      await writeTinyDataset(data, 4, 16);
      const seen: Parameters<TrainerApi['train']>[0][] = [];
      trainer = replayTrainer(scriptedRun(), seen);
      exporter = { exportRun: async (runDir) => ({ path: join(runDir, 'model.onnx'), bytes: 10, opset: 17, sha256: 'x' }) };
      const out = join(dir, 'run');
      const r = await run('demo', '--data', data, '--out', out);
      expect(r.code).toBe(0);
      expect(r.out).toContain('dataset: 12 images in 3 classes (blue 4, green 4, red 4)');
      // The demo runs exactly what plain `headstart train` runs: the measured recipe, no settings of its own.
      expect(seen[0]).toEqual({ data, out, recipe: 'measured', signal: expect.anything() });
      expect(r.out).toContain('onnx model     ' + join(out, 'model.onnx'));
      expect(r.out).toContain('demo finished: validation accuracy 80.0%');
      expect(r.out).toContain(`npx headstart predict ${join(out, 'model.onnx')} ${join(data, 'blue', '0.png')}`);
      expect(r.out).toContain('npx headstart serve --models models');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('demo stops with exit 2 when the dataset is missing', async () => {
    const r = await run('demo', '--data', '/nonexistent/headstart-demo');
    expect(r.code).toBe(2);
    expect(r.err).toContain('DATASET_NOT_FOUND');
  });
});
