/** Early stopping and reduce-on-plateau as pure, serialisable state machines (Keras semantics). */
import type { PhaseSpec } from '@headstart/core';

/** Callback state carried across epochs and saved in checkpoints. */
export interface CallbackState {
  /** Best monitored value so far and its epoch (for early stopping / best checkpoint). */
  best: number | null;
  bestEpoch: number;
  wait: number;
  plateauBest: number | null;
  plateauWait: number;
  lr: number;
  stopped: boolean;
}

/** Initial callback state for a phase. */
export function initialCallbackState(spec: PhaseSpec): CallbackState {
  return { best: null, bestEpoch: -1, wait: 0, plateauBest: null, plateauWait: 0, lr: spec.learningRate, stopped: false };
}

/** Metric names a callback can watch. */
export type Monitor = 'val_loss' | 'val_acc' | 'loss' | 'acc';

function improved(monitor: Monitor, value: number, best: number | null, minDelta: number): boolean {
  if (best === null) return true;
  return monitor.endsWith('acc') ? value > best + minDelta : value < best - minDelta;
}

/** What happened at the end of an epoch. */
export interface EpochDecision {
  state: CallbackState;
  isBest: boolean;
  stop: boolean;
  lrChange?: { from: number; to: number };
}

/** Applies early stopping, best tracking and reduce-on-plateau to one epoch's metrics. */
export function onEpochEnd(spec: PhaseSpec, prev: CallbackState, epoch: number, metrics: Record<string, number | undefined>, hasVal: boolean): EpochDecision {
  const s = { ...prev };
  const es = spec.earlyStopping || undefined;
  const esMonitor = monitorFor(es?.monitor ?? 'val_loss', hasVal);
  const value = metrics[esMonitor] ?? Number.NaN;
  const isBest = improved(esMonitor, value, s.best, es?.minDelta ?? 0);
  if (isBest) {
    s.best = value;
    s.bestEpoch = epoch;
    s.wait = 0;
  } else {
    s.wait += 1;
  }
  let stop = false;
  if (es && !isBest && s.wait >= Math.max(1, es.patience)) stop = true;
  let lrChange: EpochDecision['lrChange'];
  const rp = spec.reduceOnPlateau || undefined;
  if (rp) {
    const m = monitorFor(rp.monitor, hasVal);
    const v = metrics[m] ?? Number.NaN;
    if (improved(m, v, s.plateauBest, 0)) {
      s.plateauBest = v;
      s.plateauWait = 0;
    } else {
      s.plateauWait += 1;
      if (s.plateauWait >= Math.max(1, rp.patience)) {
        const to = Math.max(s.lr * rp.factor, rp.minLr);
        if (to < s.lr) lrChange = { from: s.lr, to };
        s.lr = to;
        s.plateauWait = 0;
      }
    }
  }
  s.stopped = stop;
  return { state: s, isBest, stop, ...(lrChange ? { lrChange } : {}) };
}

/** Falls back from validation metrics to training metrics when there is no validation set. */
export function monitorFor(monitor: 'val_loss' | 'val_acc', hasVal: boolean): Monitor {
  return hasVal ? monitor : monitor === 'val_loss' ? 'loss' : 'acc';
}
