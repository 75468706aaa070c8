/** Plain readable lines from the dashboard state, for logs and pipes (stdout not a TTY). */
import type { TrainerEvent } from '@headstart/core';
import { bar, confusedLines, downloadBar, duration, epochLine, num, pct, perClassTable, phaseTag } from './format.ts';
import { runEtaText } from './eta.ts';
import type { DashboardState, LogEntry } from './state.ts';

/** Lines describing the run's start: directory, backend, base and dataset. */
export function startLines(s: DashboardState): string[] {
  const r = s.run;
  if (!r) return [];
  const labels = r.labels.length <= 12 ? r.labels.join(', ') : `${r.labels.slice(0, 12).join(', ')}, …`;
  return [
    `${r.resumed ? 'resuming' : 'training'} ${r.runDir}`,
    `backend ${r.backend}  base ${r.base} ${r.inputSize[0]}×${r.inputSize[1]}`,
    `dataset ${r.labels.length} classes (${labels})  train ${r.trainCount}  val ${r.valCount}  test ${r.testCount}`,
  ];
}

/** A final metric: seconds as `12.3s`, fractions to 4 decimals. */
function metric(key: string, v: number): string {
  return key.endsWith('seconds') ? `${key} ${v.toFixed(1)}s` : `${key} ${num(v)}`;
}

/** The end-of-run summary: evaluation table, confused pairs, best epoch (unless `best: false`), paths. */
export function summaryLines(s: DashboardState, opts: { best?: boolean } = {}): string[] {
  const out: string[] = [];
  const ev = s.evaluation;
  if (ev) {
    const top = Object.entries(ev.topK)
      .map(([k, v]) => `  ${k.startsWith('top') ? k : `top${k}`} ${pct(v)}`)
      .join('');
    out.push(`evaluation: accuracy ${pct(ev.accuracy)}${top}`);
    out.push(...perClassTable(ev.perClass));
    const pairs = confusedLines(ev.confusedPairs);
    if (pairs.length > 0) out.push('most confused (actual → predicted):', ...pairs.map((p) => `  ${p}`));
  }
  if (s.best && opts.best !== false) out.push(`best epoch: ${phaseTag(s.best.phase)} epoch ${s.best.epoch}  val_acc ${num(s.best.val_acc)}  val_loss ${num(s.best.val_loss)}`);
  const d = s.done;
  if (d) {
    const metrics = Object.entries(d.metrics)
      .map(([k, v]) => metric(k, v))
      .join('  ');
    out.push(`done in ${duration(d.seconds)}${s.run ? `  base ${s.run.base}` : ''}${metrics ? `  ${metrics}` : ''}`);
    out.push(`run directory  ${d.runDir}`, `report         ${d.reportPath}`);
  }
  if (s.exportPath) out.push(`onnx model     ${s.exportPath}`);
  return out;
}

function entryLine(e: LogEntry): string {
  return e.kind === 'epoch' ? epochLine(e.row) : e.level === 'warn' ? `! ${e.text}` : e.text;
}

/** Turns state transitions into plain lines; inside long epochs prints a progress line at most every `everyMs`. */
export class PlainFormatter {
  private logged = 0;
  private lastProgress = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly everyMs = 10_000,
  ) {}

  /** A base download in progress: a bar at most every `everyMs` (the reducer logs its start and end). */
  private downloadLines(e: Extract<TrainerEvent, { type: 'download' }>): string[] {
    if (e.stage === 'begin') this.lastProgress = this.now();
    if (e.stage !== 'progress' || this.now() - this.lastProgress < this.everyMs) return [];
    this.lastProgress = this.now();
    return [`  ${downloadBar(e.received, e.total, 20)}`];
  }

  /** Lines to print after `event` moved the state to `s`. */
  lines(event: TrainerEvent, s: DashboardState): string[] {
    const out: string[] = [];
    if (event.type === 'start') out.push(...startLines(s));
    if (event.type === 'cache' && event.stage === 'begin') out.push(`caching ${event.phase} features${event.queue ? ' on queue workers' : ''}: ${event.total} rows`);
    if (event.type === 'download') out.push(...this.downloadLines(event));
    if (event.type === 'epoch-start') this.lastProgress = this.now();
    if (event.type === 'batch' && s.current && event.batch < event.batches && this.now() - this.lastProgress >= this.everyMs) {
      this.lastProgress = this.now();
      const c = s.current;
      out.push(
        `  ${phaseTag(c.phase)} epoch ${c.epoch}/${c.epochs} ${bar(c.batch, c.batches, 20)} ${c.batch}/${c.batches}` +
          `  loss ${num(c.loss)}  acc ${num(c.acc)}  ${Math.round(c.imagesPerSec ?? 0)} img/s  ETA ${duration(c.etaSec)}${runEtaText(s)}`,
      );
    }
    for (; this.logged < s.log.length; this.logged++) {
      const entry = s.log[this.logged];
      if (entry) out.push(entryLine(entry));
    }
    if (event.type === 'done') out.push(...summaryLines(s));
    return out;
  }
}
