import { describe, expect, it } from 'vitest';
import { HeadstartError } from '../errors.ts';
import { HeadSpecSchema } from './head.ts';
import { RunManifestSchema } from './manifest.ts';
import { parseSpec } from './parse.ts';
import { PreprocessSpecSchema } from './preprocess.ts';
import { ScheduleSpecSchema } from './schedule.ts';

const schedule = {
  phase1: { epochs: 5, learningRate: 1e-3 },
  phase2: { epochs: 3, learningRate: 1e-5, unfreeze: { kind: 'top', n: 20 }, earlyStopping: { patience: 2 } },
  augment: { horizontalFlip: true, rotation: 15, brightness: [0.8, 1.2], randomResizedCrop: { scale: [0.5, 1], ratio: [0.75, 1.33] } },
  classWeights: 'auto',
};
const manifest = {
  format: 'headstart-run@1',
  name: 'demo',
  createdAt: '2026-01-01T00:00:00.000Z',
  status: 'complete',
  base: { id: 'mobilenet_v2', source: 'tfhub', provenance: 'ImageNet', cut: 'out_relu', inputSize: [224, 224] },
  preprocess: { size: [224, 224], mode: 'tf' },
  head: { kind: 'dense', blocks: [{ units: 128, dropout: 0.3 }] },
  schedule,
  labels: ['cat', 'dog'],
  dataset: { path: 'data/demo', fingerprint: 'sha256:abc', counts: { train: 80, val: 20, test: 0 } },
  backend: 'cpu',
  versions: { headstart: '0.1.0' },
  metrics: { val_acc: 0.9 },
  progress: { phase: 'done', epoch: 3 },
};

function roundTrip<T>(parse: (v: unknown) => T, input: unknown): void {
  const once = parse(input);
  const twice = parse(JSON.parse(JSON.stringify(once)));
  expect(twice).toEqual(once);
}

describe('spec JSON round-trips', () => {
  it('HeadSpec (dense and logistic)', () => {
    roundTrip((v) => parseSpec(HeadSpecSchema, v, 'head'), { kind: 'dense', pooling: 'max', blocks: [{ units: 64, activation: 'gelu', batchNorm: true }] });
    roundTrip((v) => parseSpec(HeadSpecSchema, v, 'head'), { kind: 'logistic', l2: 1e-4 });
    expect(parseSpec(HeadSpecSchema, { kind: 'dense' }, 'head')).toEqual({ kind: 'dense', pooling: 'avg', standardize: false, dropout: 0.2, blocks: [] });
    // Heads written before `standardize` existed still parse (off).
    expect(parseSpec(HeadSpecSchema, { kind: 'logistic', pooling: 'flatten', l2: 0 }, 'head')).toMatchObject({ standardize: false });
    roundTrip((v) => parseSpec(HeadSpecSchema, v, 'head'), { kind: 'dense', pooling: 'flatten', standardize: true });
  });
  it('PhaseSpec callbacks can be switched off with false', () => {
    const s = parseSpec(ScheduleSpecSchema, { ...schedule, phase1: { epochs: 3, learningRate: 1e-3, earlyStopping: false, reduceOnPlateau: false } }, 'schedule');
    expect(s.phase1.earlyStopping).toBe(false);
    expect(s.phase1.reduceOnPlateau).toBe(false);
    expect(() => parseSpec(ScheduleSpecSchema, { ...schedule, phase1: { epochs: 3, learningRate: 1e-3, earlyStopping: true } }, 'schedule')).toThrow(/earlyStopping/);
  });
  it('ScheduleSpec with defaults filled in', () => {
    roundTrip((v) => parseSpec(ScheduleSpecSchema, v, 'schedule'), schedule);
    const s = parseSpec(ScheduleSpecSchema, schedule, 'schedule');
    expect(s.seed).toBe(42);
    expect(s.phase1.optimizer).toBe('adam');
    expect(s.augment?.fillMode).toBe('nearest');
  });
  it('RunManifest and PreprocessSpec', () => {
    roundTrip((v) => parseSpec(RunManifestSchema, v, 'headstart.json'), manifest);
    roundTrip((v) => parseSpec(PreprocessSpecSchema, v, 'preprocess'), { size: [96, 128], mode: 'torch', resize: 'contain' });
  });
});

describe('parseSpec errors', () => {
  function failure(fn: () => unknown): HeadstartError {
    try {
      fn();
    } catch (e) {
      if (e instanceof HeadstartError) return e;
      throw e;
    }
    throw new Error('expected a HeadstartError');
  }
  it('names what was parsed and the nested field path', () => {
    const bad = { ...schedule, phase2: { ...schedule.phase2, unfreeze: { kind: 'top', n: -1 } } };
    const e = failure(() => parseSpec(ScheduleSpecSchema, bad, 'schedule in run.json'));
    expect(e.code).toBe('SPEC_INVALID');
    expect(e.message).toMatch(/^schedule in run\.json is invalid: phase2\.unfreeze/);
  });
  it('names array indices and unknown keys', () => {
    const e = failure(() => parseSpec(HeadSpecSchema, { kind: 'dense', blocks: [{ units: 8 }, { units: 0 }] }, 'head'));
    expect(e.message).toContain('blocks[1].units');
    const k = failure(() => parseSpec(HeadSpecSchema, { kind: 'dense', dropuot: 0.1 }, 'head'));
    expect(k.message).toContain('dropuot');
    const m = failure(() => parseSpec(RunManifestSchema, { ...manifest, labels: ['only'] }, 'headstart.json'));
    expect(m.message).toContain('labels:');
    expect(m.details?.['issues']).toEqual([expect.objectContaining({ path: 'labels' })]);
  });
  it('reports the root when the value is not an object', () => {
    expect(failure(() => parseSpec(PreprocessSpecSchema, 'tf', 'preprocess')).message).toMatch(/preprocess is invalid: \(root\):/);
  });
});
