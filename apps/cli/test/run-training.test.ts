import { describe, expect, it } from 'vitest';
import type { TrainerEvent } from '@headstart/core';
import { runTraining, shellLine } from '../src/run-training.ts';
import { captureIo, replayTrainer } from './fakes.ts';
import { scriptedRun } from './scripted-events.ts';

const base = { train: { data: 'd', out: 'runs/t' }, exportOnnx: false, resumeCommand: 'npx headstart train d --out runs/t --resume' };

describe('runTraining', () => {
  it('prints readable plain lines when stdout is not a TTY', async () => {
    const io = captureIo();
    let clock = 0;
    const now = () => (clock += 4000); // every call advances 4 s: progress lines every third batch
    const r = await runTraining(io, { ...base, mode: 'plain' }, { trainer: replayTrainer(scriptedRun()), now });
    expect(r.code).toBe(0);
    const lines = io.out().trimEnd().split('\n');
    expect(lines[0]).toBe('training runs/t');
    expect(lines).toContain('dataset 3 classes (cat, dog, fox)  train 120  val 30  test 0');
    expect(lines).toContain('! warning CLASS_IMBALANCE: fox has 10 images, cat 60 (data/fox)');
    const progress = lines.filter((l) => l.startsWith('  p'));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.length).toBeLessThan(10); // throttled: 20 batches, not one line each
    expect(progress.some((l) => /^ {2}p1 epoch 1\/3 [█░]{20} [1-3]\/4 {2}loss \d\.\d{4}  acc 0\.5000  250 img\/s  ETA 0:0\d  run ETA ~0:(09|10)$/.test(l))).toBe(true);
    expect(lines).toContain('p2 epoch 1/2  loss 0.4000  acc 0.8500  val_loss 0.6000  val_acc 0.8000  lr 1e-5  2.0s  * best');
    expect(lines.some((l) => l.startsWith('early stop in phase2 at epoch 2'))).toBe(true);
    expect(lines).toContain('evaluation: accuracy 80.0%  top2 95.0%');
    expect(lines.at(-1)).toBe('report         runs/t/report.json');
    // no terminal control sequences in plain output
    expect(io.out()).not.toMatch(/\u001b\[/);
  });

  it('prints one JSON object per line, ending with done', async () => {
    const io = captureIo();
    const events = scriptedRun();
    await runTraining(io, { ...base, mode: 'json' }, { trainer: replayTrainer(events) });
    const parsed = io.out().trimEnd().split('\n').map((l) => JSON.parse(l) as TrainerEvent);
    expect(parsed).toHaveLength(events.length);
    expect(parsed.filter((e) => e.type === 'batch')).toHaveLength(20);
    const done = parsed.at(-1);
    expect(done).toMatchObject({ type: 'done', runDir: 'runs/t', metrics: { val_acc: 0.8, val_loss: 0.6 }, reportPath: 'runs/t/report.json' });
  });

  it('adds an export event and onnxPath when exporting', async () => {
    const io = captureIo();
    const exporter = { exportRun: async (runDir: string) => ({ path: `${runDir}/model.onnx`, bytes: 1, opset: 13, sha256: 'x', inputName: 'pixels', outputName: 'probabilities' }) };
    await runTraining(io, { ...base, mode: 'json', exportOnnx: true }, { trainer: replayTrainer(scriptedRun()), exporter });
    const parsed = io.out().trimEnd().split('\n').map((l) => JSON.parse(l) as TrainerEvent);
    expect(parsed.at(-2)).toEqual({ type: 'export', path: 'runs/t/model.onnx' });
    expect(parsed.at(-1)).toMatchObject({ type: 'done', onnxPath: 'runs/t/model.onnx' });
  });

  it('stops on abort, reports the checkpoint and how to resume, exit 130', async () => {
    const io = captureIo();
    const controller = new AbortController();
    const events = scriptedRun();
    const trainer = replayTrainer(events);
    const wrapped = { ...trainer, train: (o: Parameters<typeof trainer.train>[0], sink: (e: TrainerEvent) => void) =>
      trainer.train(o, (e) => {
        sink(e);
        if (e.type === 'epoch-end' && e.epoch === 2) controller.abort();
      }) };
    const r = await runTraining(io, { ...base, mode: 'plain' }, { trainer: wrapped, controller });
    expect(r.code).toBe(130);
    expect(r.state.epochs).toHaveLength(2);
    const out = io.out();
    expect(out).toContain('stopped after p1 epoch 2; last checkpoint in runs/t/checkpoint');
    expect(out).toContain('resume with: npx headstart train d --out runs/t --resume');
    expect(out).not.toContain('evaluation:');
  });

  it('reports a trainer failure as a JSON error line and rethrows it', async () => {
    const io = captureIo();
    const trainer = { ...replayTrainer([]), train: () => Promise.reject(new Error('boom')) };
    await expect(runTraining(io, { ...base, mode: 'json' }, { trainer })).rejects.toThrow('boom');
    expect(JSON.parse(io.out().trim())).toEqual({ type: 'error', message: 'boom' });
  });

  it('quotes resume commands for the shell', () => {
    expect(shellLine(['headstart', 'train', 'my data', '--out', "it's"])).toBe(`headstart train 'my data' --out 'it'\\''s'`);
  });
});
