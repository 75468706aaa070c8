import { describe, expect, it } from 'vitest';
import { initialState, reduce, fail } from '../src/dashboard/state.ts';
import { scriptedRun } from './scripted-events.ts';

const run = (events = scriptedRun()) => events.reduce(reduce, initialState());

describe('dashboard reducer', () => {
  it('tracks the run header, warnings and cache progress', () => {
    const events = scriptedRun();
    const s = events.slice(0, 4).reduce(reduce, initialState());
    expect(s.run?.base).toBe('mobilenet_v2');
    expect(s.warnings).toEqual([{ code: 'CLASS_IMBALANCE', message: 'fox has 10 images, cat 60', path: 'data/fox' }]);
    expect(s.status).toBe('caching');
    expect(s.cache).toMatchObject({ done: 75, total: 150, finished: false });
    expect(s.cache?.queue).toBeUndefined();
    const queued = reduce(s, { type: 'cache', phase: 'phase1', stage: 'progress', done: 100, total: 150, queue: true });
    expect(queued.cache).toMatchObject({ done: 100, queue: true });
  });

  it('tracks a base download: logs its start (and resume point) and end, keeps the bytes for the bar', () => {
    const url = 'http://mirror/m/group1-shard1of1.bin';
    const begin = reduce(initialState(), { type: 'download', url, file: '/c/shard', stage: 'begin', received: 2e6, total: 8e6 });
    const mid = reduce(begin, { type: 'download', url, file: '/c/shard', stage: 'progress', received: 5e6, total: 8e6 });
    expect(mid.download).toEqual({ url, received: 5e6, total: 8e6, finished: false });
    const end = reduce(mid, { type: 'download', url, file: '/c/shard', stage: 'end', received: 8e6, total: 8e6 });
    expect(end.download?.finished).toBe(true);
    expect(end.log.map((l) => (l.kind === 'note' ? l.text : ''))).toEqual([`downloading ${url} (resuming at 2.0 MB)`, 'saved /c/shard (8.0 MB)']);
  });

  it('follows batches inside the current epoch', () => {
    const events = scriptedRun();
    const i = events.findIndex((e) => e.type === 'batch' && e.batch === 2);
    const s = events.slice(0, i + 1).reduce(reduce, initialState());
    expect(s.status).toBe('training');
    expect(s.current).toMatchObject({ phase: 'phase1', epoch: 1, epochs: 3, batch: 2, batches: 4, imagesPerSec: 250 });
    expect(s.phases).toHaveLength(1);
    expect(s.epochs).toHaveLength(0);
  });

  it('collects finished epochs, best epoch, lr changes, early stop and phases', () => {
    const s = run();
    expect(s.epochs.map((r) => `${r.phase}:${r.epoch}`)).toEqual(['phase1:1', 'phase1:2', 'phase1:3', 'phase2:1', 'phase2:2']);
    expect(s.best).toMatchObject({ phase: 'phase2', epoch: 1, val_loss: 0.6 });
    expect(s.lrChanges).toHaveLength(1);
    expect(s.learningRate).toBe(1e-5);
    expect(s.earlyStop).toMatchObject({ phase: 'phase2', bestEpoch: 1 });
    expect(s.phases.map((p) => [p.phase, p.status, p.bestEpoch])).toEqual([
      ['phase1', 'done', 2],
      ['phase2', 'done', 1],
    ]);
    expect(s.current).toBeUndefined();
    expect(s.status).toBe('done');
    expect(s.evaluation?.accuracy).toBe(0.8);
    expect(s.done?.reportPath).toBe('runs/t/report.json');
  });

  it('keeps an append-only log with unique ids (for <Static>)', () => {
    const events = scriptedRun();
    let s = initialState();
    for (const e of events) {
      const before = s.log;
      s = reduce(s, e);
      expect(s.log.slice(0, before.length)).toEqual(before);
    }
    expect(new Set(s.log.map((l) => l.id)).size).toBe(s.log.length);
    expect(s.log.filter((l) => l.kind === 'epoch')).toHaveLength(5);
    expect(s.log.some((l) => l.kind === 'note' && l.text.includes('early stop'))).toBe(true);
  });

  it('records an interruption and its checkpoint', () => {
    const s = run(scriptedRun({ stopAfterEpochs: 2 }));
    expect(s.status).toBe('interrupted');
    expect(s.interrupted?.epoch).toBe(2);
    expect(s.checkpoint?.path).toBe('runs/t/checkpoint');
    expect(s.done).toBeUndefined();
  });

  it('does not mutate the previous state', () => {
    const s0 = initialState();
    const frozen = JSON.stringify(s0);
    reduce(s0, scriptedRun()[0]!);
    expect(JSON.stringify(s0)).toBe(frozen);
    expect(fail(s0, { message: 'x' }).status).toBe('failed');
    expect(s0.status).toBe('starting');
  });
});
