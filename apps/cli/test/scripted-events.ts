/** A scripted, realistic TrainerEvent sequence for reducer, view and reporter tests. */
import type { TrainerEvent } from '@headstart/core';

/** Two phases (3 + 2 epochs, 4 batches each), an LR change, an early stop, eval and done. */
export function scriptedRun(opts: { stopAfterEpochs?: number } = {}): TrainerEvent[] {
  const ev: TrainerEvent[] = [
    { type: 'start', runDir: 'runs/t', backend: 'wasm', base: 'mobilenet_v2', inputSize: [96, 96], labels: ['cat', 'dog', 'fox'], trainCount: 120, valCount: 30, testCount: 0, resumed: false, plan: [{ phase: 'phase1', epochs: 3 }, { phase: 'phase2', epochs: 2 }] },
    { type: 'warning', code: 'CLASS_IMBALANCE', message: 'fox has 10 images, cat 60', path: 'data/fox' },
    { type: 'cache', phase: 'phase1', stage: 'begin', done: 0, total: 150 },
    { type: 'cache', phase: 'phase1', stage: 'progress', done: 75, total: 150 },
    { type: 'cache', phase: 'phase1', stage: 'end', done: 150, total: 150, seconds: 2.5 },
  ];
  const curves = {
    phase1: [
      { loss: 1.0, acc: 0.5, val_loss: 0.9, val_acc: 0.55 },
      { loss: 0.7, acc: 0.7, val_loss: 0.75, val_acc: 0.7 },
      { loss: 0.5, acc: 0.8, val_loss: 0.8, val_acc: 0.68 },
    ],
    phase2: [
      { loss: 0.4, acc: 0.85, val_loss: 0.6, val_acc: 0.8 },
      { loss: 0.35, acc: 0.88, val_loss: 0.62, val_acc: 0.79 },
    ],
  } as const;
  let finished = 0;
  for (const phase of ['phase1', 'phase2'] as const) {
    const rows = curves[phase];
    const lr = phase === 'phase1' ? 1e-3 : 1e-5;
    ev.push({ type: 'phase-start', phase, epochs: rows.length, learningRate: lr, trainableLayers: phase === 'phase1' ? 2 : 20, frozenLayers: phase === 'phase1' ? 150 : 132 });
    let best = 0;
    for (let i = 0; i < rows.length; i++) {
      const epoch = i + 1;
      const m = rows[i]!;
      ev.push({ type: 'epoch-start', phase, epoch, epochs: rows.length, batches: 4 });
      for (let b = 1; b <= 4; b++) {
        ev.push({ type: 'batch', phase, epoch, batch: b, batches: 4, loss: m.loss + (4 - b) * 0.01, acc: m.acc, imagesPerSec: 250, etaSec: (4 - b) * 0.5 });
      }
      const isBest = i === 0 || m.val_loss < rows[best]!.val_loss;
      if (isBest) best = i;
      ev.push({ type: 'epoch-end', phase, epoch, epochs: rows.length, learningRate: lr, seconds: 2, best: isBest, ...m });
      ev.push({ type: 'checkpoint', phase, epoch, path: `runs/t/checkpoint` });
      finished++;
      if (opts.stopAfterEpochs === finished) {
        ev.push({ type: 'interrupted', phase, epoch, checkpoint: 'runs/t/checkpoint', resumeCommand: 'headstart train d --out runs/t --resume' });
        return ev;
      }
      if (phase === 'phase1' && epoch === 3) ev.push({ type: 'lr-change', phase, epoch, from: 1e-3, to: 5e-4, reason: 'val_loss plateau' });
    }
    if (phase === 'phase2') ev.push({ type: 'early-stop', phase, epoch: 2, bestEpoch: 1, reason: 'val_loss did not improve for 1 epoch' });
    ev.push({ type: 'phase-end', phase, epochsRun: rows.length, bestEpoch: best + 1, seconds: rows.length * 2 });
  }
  ev.push({
    type: 'eval',
    accuracy: 0.8,
    topK: { top2: 0.95 },
    perClass: [
      { label: 'cat', precision: 0.9, recall: 0.85, f1: 0.874, support: 12 },
      { label: 'dog', precision: 0.75, recall: 0.8, f1: 0.774, support: 10 },
      { label: 'fox', precision: 0.7, recall: 0.7, f1: 0.7, support: 8 },
    ],
    confusedPairs: [
      { actual: 'dog', predicted: 'fox', count: 2 },
      { actual: 'cat', predicted: 'dog', count: 1 },
    ],
  });
  ev.push({ type: 'done', runDir: 'runs/t', metrics: { val_acc: 0.8, val_loss: 0.6 }, seconds: 14, reportPath: 'runs/t/report.json' });
  return ev;
}
