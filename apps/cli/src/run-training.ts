/**
 * Runs one training through the trainer port and feeds its events, through the one reducer,
 * to the chosen output: the Ink dashboard (TTY), plain lines, or `--json` lines.
 */
import { join } from 'node:path';
import { HeadstartError, isHeadstartError, type TrainerEvent } from '@headstart/core';
import { createDashboardStore } from './dashboard/store.ts';
import { PlainFormatter } from './dashboard/plain.ts';
import { phaseTag } from './dashboard/format.ts';
import type { DashboardState } from './dashboard/state.ts';
import { EXIT, type CliIo, type ExitCode } from './io.ts';
import type { ExporterApi, TrainOptions, TrainResult, TrainerApi } from './ports.ts';

/** How the run is shown. */
export type OutputMode = 'ink' | 'plain' | 'json';

export interface RunTrainingOptions {
  train: TrainOptions;
  mode: OutputMode;
  /** Export ONNX at the end with @headstart/exporter. */
  exportOnnx: boolean;
  /** Command line that resumes this run, printed after a stop. */
  resumeCommand: string;
}

export interface RunTrainingDeps {
  trainer: TrainerApi;
  exporter?: ExporterApi | undefined;
  /** Mounts the Ink view; injected so tests need no TTY. Default: the real Ink dashboard. */
  mountInk?: (io: CliIo, store: ReturnType<typeof createDashboardStore>, onStop: () => void) => { close(): Promise<void> };
  /** Clock for throttling plain progress lines (tests inject one). */
  now?: () => number;
  /** Handed to the trainer; the caller may abort it (tests do). */
  controller?: AbortController;
}

export interface RunTrainingResult {
  code: ExitCode;
  state: DashboardState;
  result?: TrainResult;
}

/** Picks the output: `--json` wins, else Ink on a TTY unless `plain` is forced. */
export function chooseMode(io: CliIo, json: boolean, plain: boolean): OutputMode {
  if (json) return 'json';
  return io.stdout.isTTY && !plain ? 'ink' : 'plain';
}

/** Quotes argv words for a copy-pasteable command line. */
export function shellLine(words: readonly string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Trains, reports, optionally exports; resolves to an exit code (130 after a clean stop). */
export async function runTraining(io: CliIo, opts: RunTrainingOptions, deps: RunTrainingDeps): Promise<RunTrainingResult> {
  const store = createDashboardStore();
  const controller = deps.controller ?? new AbortController();
  const plain = new PlainFormatter(deps.now);
  const started = Date.now();
  const write = (line: string): void => void io.stdout.write(`${line}\n`);

  const emit = (e: TrainerEvent): void => {
    const s = store.dispatch(e);
    if (opts.mode === 'json') write(JSON.stringify(e));
    else if (opts.mode === 'plain') for (const l of plain.lines(e, s)) write(l);
  };
  let stops = 0;
  const stop = (): void => {
    stops += 1;
    if (stops === 1) {
      if (opts.mode !== 'ink') io.stderr.write('stopping: saving a checkpoint (press Ctrl-C again to quit without it)\n');
      controller.abort(new HeadstartError('INTERRUPTED', 'stopped by the user'));
    } else if (io === process) {
      process.exit(130);
    }
  };
  const onSigint = (): void => stop();
  process.on('SIGINT', onSigint);
  const mount = opts.mode === 'ink' ? (deps.mountInk ?? (await import('./dashboard/live.tsx')).mountDashboard) : undefined;
  const view = mount?.(io, store, stop);

  let trainerDone: Extract<TrainerEvent, { type: 'done' }> | undefined;
  let sawEval = false;
  const sink = (e: TrainerEvent): void => {
    if (e.type === 'done') trainerDone = e;
    else {
      if (e.type === 'eval') sawEval = true;
      emit(e);
    }
  };

  try {
    let result: TrainResult | undefined;
    let failure: unknown;
    try {
      result = await deps.trainer.train({ ...opts.train, signal: controller.signal }, sink);
    } catch (e) {
      failure = e;
    }
    const interrupted = store.getState().interrupted !== undefined || isHeadstartError(failure, 'INTERRUPTED');
    if (interrupted) {
      await view?.close();
      const s = store.getState();
      const where = s.checkpoint?.path ?? opts.train.out;
      if (opts.mode === 'json') {
        if (!s.interrupted) write(JSON.stringify({ type: 'interrupted', checkpoint: where, resumeCommand: opts.resumeCommand }));
      } else {
        const at = s.interrupted ? ` after ${phaseTag(s.interrupted.phase)} epoch ${s.interrupted.epoch}` : '';
        write(`stopped${at}; last checkpoint in ${where}`);
        write(`resume with: ${opts.resumeCommand}`);
      }
      return { code: EXIT.interrupted, state: s };
    }
    if (failure !== undefined || !result) throw failure ?? new HeadstartError('IO', 'trainer returned no result');

    if (!sawEval) {
      const r = result.report;
      emit({ type: 'eval', accuracy: r.accuracy, topK: r.topK, perClass: r.perClass, confusedPairs: r.confusedPairs });
    }
    let onnxPath: string | undefined;
    if (opts.exportOnnx) {
      if (!deps.exporter) {
        emit({ type: 'warning', code: 'EXPORT_UNAVAILABLE', message: '@headstart/exporter has no exportRun yet; skipped ONNX export' });
      } else {
        const exported = await deps.exporter.exportRun(result.runDir);
        onnxPath = exported.path;
        emit({ type: 'export', path: exported.path });
      }
    }
    emit({
      type: 'done',
      runDir: result.runDir,
      metrics: trainerDone?.metrics ?? result.manifest.metrics,
      seconds: trainerDone?.seconds ?? (Date.now() - started) / 1000,
      reportPath: trainerDone?.reportPath ?? join(result.runDir, 'report.json'),
      ...(onnxPath ?? trainerDone?.onnxPath ? { onnxPath: onnxPath ?? trainerDone?.onnxPath } : {}),
    });
    await view?.close();
    return { code: EXIT.ok, state: store.getState(), result };
  } catch (e) {
    const err = isHeadstartError(e) ? { code: e.code, message: e.message } : { message: (e as Error)?.message ?? String(e) };
    store.fail(err);
    if (opts.mode === 'json') write(JSON.stringify({ type: 'error', ...err }));
    await view?.close();
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
