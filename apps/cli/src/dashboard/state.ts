/**
 * The training dashboard's state and its reducer: a plain function from (state, TrainerEvent)
 * to the next state. The Ink view, the plain-line logger and the JSON reporter all read it.
 */
import type { PhaseName, TrainerEvent } from '@headstart/core';
import { lr, mb } from './format.ts';

/** One finished epoch, as shown in the log and the sparklines. */
export interface EpochRow {
  phase: PhaseName;
  epoch: number;
  epochs: number;
  loss: number;
  acc: number;
  val_loss?: number;
  val_acc?: number;
  learningRate: number;
  seconds: number;
  best: boolean;
}

/** A line of the scrolling log: a finished epoch or a notable event. */
export type LogEntry =
  | { id: number; kind: 'epoch'; row: EpochRow }
  | { id: number; kind: 'note'; level: 'info' | 'warn'; text: string };

export interface PhaseInfo {
  phase: PhaseName;
  epochs: number;
  learningRate: number;
  trainableLayers: number;
  frozenLayers: number;
  status: 'running' | 'done';
  epochsRun?: number;
  bestEpoch?: number;
  seconds?: number;
}

/** Progress inside the epoch that is running now. */
export interface CurrentEpoch {
  phase: PhaseName;
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss?: number;
  acc?: number;
  imagesPerSec?: number;
  etaSec?: number;
}

export type RunStatus = 'starting' | 'caching' | 'training' | 'evaluating' | 'exporting' | 'interrupted' | 'done' | 'failed';

export interface DashboardState {
  status: RunStatus;
  run?: Extract<TrainerEvent, { type: 'start' }>;
  warnings: Array<{ code: string; message: string; path?: string }>;
  cache?: { phase: PhaseName; done: number; total: number; seconds?: number; finished: boolean; queue?: true };
  /** The base file being downloaded (before training starts). */
  download?: { url: string; received: number; total?: number; finished: boolean };
  phases: PhaseInfo[];
  current?: CurrentEpoch;
  epochs: EpochRow[];
  best?: EpochRow;
  learningRate?: number;
  lrChanges: Array<Extract<TrainerEvent, { type: 'lr-change' }>>;
  earlyStop?: Extract<TrainerEvent, { type: 'early-stop' }>;
  checkpoint?: { phase: PhaseName; epoch: number; path: string };
  interrupted?: Extract<TrainerEvent, { type: 'interrupted' }>;
  evaluation?: Extract<TrainerEvent, { type: 'eval' }>;
  exportPath?: string;
  done?: Extract<TrainerEvent, { type: 'done' }>;
  error?: { code?: string; message: string };
  /** Grows only (append), so the view can hand it to Ink's <Static>. */
  log: LogEntry[];
}

/** The state before any event. */
export function initialState(): DashboardState {
  return { status: 'starting', warnings: [], phases: [], epochs: [], lrChanges: [], log: [] };
}

/** Human name of a phase. */
export function phaseLabel(phase: PhaseName): string {
  return phase === 'phase1' ? 'phase 1 (head, base frozen)' : phase === 'phase2' ? 'phase 2 (fine-tune)' : 'scratch';
}

function note(s: DashboardState, text: string, level: 'info' | 'warn' = 'info'): LogEntry[] {
  return [...s.log, { id: s.log.length, kind: 'note', level, text }];
}

function updatePhase(phases: PhaseInfo[], phase: PhaseName, patch: Partial<PhaseInfo>): PhaseInfo[] {
  return phases.map((p) => (p.phase === phase ? { ...p, ...patch } : p));
}

/** Applies one trainer event; never mutates `s`. */
export function reduce(s: DashboardState, e: TrainerEvent): DashboardState {
  switch (e.type) {
    case 'start':
      return {
        ...s,
        status: 'starting',
        run: e,
        log: e.resumed ? note(s, `resumed run ${e.runDir}`) : s.log,
      };
    case 'warning':
      return {
        ...s,
        warnings: [...s.warnings, { code: e.code, message: e.message, ...(e.path ? { path: e.path } : {}) }],
        log: note(s, `warning ${e.code}: ${e.message}${e.path ? ` (${e.path})` : ''}`, 'warn'),
      };
    case 'cache': {
      const finished = e.stage === 'end';
      return {
        ...s,
        status: finished ? s.status : 'caching',
        cache: { phase: e.phase, done: e.done, total: e.total, ...(e.seconds !== undefined ? { seconds: e.seconds } : {}), finished, ...(e.queue ? { queue: true as const } : {}) },
        log: finished
          ? note(s, `cached ${e.total} feature rows for ${e.phase}${e.seconds !== undefined ? ` in ${e.seconds.toFixed(1)}s` : ''}`)
          : s.log,
      };
    }
    case 'download': {
      const finished = e.stage === 'end';
      return {
        ...s,
        download: { url: e.url, received: e.received, ...(e.total !== undefined ? { total: e.total } : {}), finished },
        log: e.stage === 'begin' ? note(s, `downloading ${e.url}${e.received > 0 ? ` (resuming at ${mb(e.received)})` : ''}`) : finished ? note(s, `saved ${e.file} (${mb(e.received)})`) : s.log,
      };
    }
    case 'phase-start': {
      const info: PhaseInfo = {
        phase: e.phase,
        epochs: e.epochs,
        learningRate: e.learningRate,
        trainableLayers: e.trainableLayers,
        frozenLayers: e.frozenLayers,
        status: 'running',
      };
      return {
        ...s,
        status: 'training',
        phases: [...s.phases.filter((p) => p.phase !== e.phase), info],
        learningRate: e.learningRate,
        log: note(
          s,
          `${phaseLabel(e.phase)}: ${e.epochs} epochs, lr ${lr(e.learningRate)}, ${e.trainableLayers} trainable / ${e.frozenLayers} frozen layers`,
        ),
      };
    }
    case 'epoch-start':
      return {
        ...s,
        status: 'training',
        current: { phase: e.phase, epoch: e.epoch, epochs: e.epochs, batch: 0, batches: e.batches },
      };
    case 'batch': {
      const base = s.current && s.current.phase === e.phase && s.current.epoch === e.epoch ? s.current : undefined;
      return {
        ...s,
        status: 'training',
        current: {
          phase: e.phase,
          epoch: e.epoch,
          epochs: base?.epochs ?? s.phases.find((p) => p.phase === e.phase)?.epochs ?? e.epoch,
          batch: e.batch,
          batches: e.batches,
          loss: e.loss,
          acc: e.acc,
          imagesPerSec: e.imagesPerSec,
          etaSec: e.etaSec,
        },
      };
    }
    case 'epoch-end': {
      const row: EpochRow = {
        phase: e.phase,
        epoch: e.epoch,
        epochs: e.epochs,
        loss: e.loss,
        acc: e.acc,
        ...(e.val_loss !== undefined ? { val_loss: e.val_loss } : {}),
        ...(e.val_acc !== undefined ? { val_acc: e.val_acc } : {}),
        learningRate: e.learningRate,
        seconds: e.seconds,
        best: e.best,
      };
      return {
        ...s,
        epochs: [...s.epochs, row],
        best: e.best ? row : s.best,
        learningRate: e.learningRate,
        current: s.current && s.current.phase === e.phase && s.current.epoch === e.epoch ? { ...s.current, batch: s.current.batches } : s.current,
        log: [...s.log, { id: s.log.length, kind: 'epoch', row }],
      };
    }
    case 'lr-change':
      return {
        ...s,
        learningRate: e.to,
        lrChanges: [...s.lrChanges, e],
        log: note(s, `learning rate ${lr(e.from)} → ${lr(e.to)} at ${e.phase} epoch ${e.epoch} (${e.reason})`),
      };
    case 'early-stop':
      return {
        ...s,
        earlyStop: e,
        log: note(s, `early stop in ${e.phase} at epoch ${e.epoch}, best epoch ${e.bestEpoch} (${e.reason})`),
      };
    case 'checkpoint':
      return { ...s, checkpoint: { phase: e.phase, epoch: e.epoch, path: e.path } };
    case 'phase-end':
      return {
        ...s,
        phases: updatePhase(s.phases, e.phase, { status: 'done', epochsRun: e.epochsRun, bestEpoch: e.bestEpoch, seconds: e.seconds }),
        current: undefined,
        log: note(s, `${phaseLabel(e.phase)} done: ${e.epochsRun} epochs in ${e.seconds.toFixed(1)}s, best epoch ${e.bestEpoch}`),
      };
    case 'interrupted':
      return {
        ...s,
        status: 'interrupted',
        interrupted: e,
        checkpoint: { phase: e.phase, epoch: e.epoch, path: e.checkpoint },
        // No log line: the command prints where the checkpoint is and how to resume, once.
      };
    case 'decision':
      return { ...s, log: e.lines.reduce((log, text, i) => [...log, { id: log.length, kind: 'note' as const, level: 'info' as const, text: i === 0 && !text.startsWith('phase 2') ? `decision: ${text}` : `  ${text}` }], s.log) };
    case 'eval':
      return { ...s, status: 'evaluating', evaluation: e, current: undefined };
    case 'export':
      return { ...s, status: 'exporting', exportPath: e.path, log: note(s, `exported ONNX model ${e.path}`) };
    case 'done':
      return { ...s, status: 'done', done: e, current: undefined, exportPath: e.onnxPath ?? s.exportPath };
    default:
      return s;
  }
}

/** Marks the run failed (an error thrown by the trainer is not an event). */
export function fail(s: DashboardState, error: { code?: string; message: string }): DashboardState {
  return { ...s, status: 'failed', error, current: undefined };
}
