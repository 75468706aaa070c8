/** Whole-run ETA from the run's plan (phases × planned epochs) and the epoch times measured so far. */
import { duration } from './format.ts';
import type { DashboardState } from './state.ts';

/** Seconds one epoch of `phase` takes: the mean of its finished epochs, else the running epoch's projection. */
function epochSeconds(s: DashboardState, phase: string): number | undefined {
  const done = s.epochs.filter((r) => r.phase === phase);
  if (done.length > 0) return done.reduce((a, r) => a + r.seconds, 0) / done.length;
  const c = s.current;
  if (c && c.phase === phase && c.etaSec !== undefined && c.batch > 0 && c.batch < c.batches) return (c.etaSec * c.batches) / (c.batches - c.batch);
  return undefined;
}

/**
 * Seconds left in the whole run, at most (early stopping may end a phase sooner): the rest
 * of the running epoch, the running phase's remaining epochs, and every later planned phase;
 * a phase not started yet is estimated from the latest measured phase (marked `estimated`).
 */
export function runEta(s: DashboardState): { seconds: number; estimated: boolean } | undefined {
  const plan = s.run?.plan;
  const c = s.current;
  if (!plan || !c) return undefined;
  let total = 0;
  let estimated = false;
  let last = epochSeconds(s, c.phase);
  for (const p of plan) {
    const info = s.phases.find((x) => x.phase === p.phase);
    if (info?.status === 'done') continue;
    if (p.phase === c.phase) {
      if (last === undefined) return undefined;
      total += (c.etaSec ?? last) + Math.max(0, p.epochs - c.epoch) * last;
      continue;
    }
    if (info === undefined) {
      const own = epochSeconds(s, p.phase);
      if (own !== undefined) last = own;
      else estimated = true;
      if (last === undefined) return undefined;
      total += p.epochs * last;
    }
  }
  return { seconds: total, estimated };
}

/** `  run ETA ≤1:23` for the whole run (at most: early stopping may end it sooner; `~` when a later phase is estimated), or ''. */
export function runEtaText(s: DashboardState): string {
  const eta = runEta(s);
  return eta ? `  run ETA ${eta.estimated ? '~' : '≤'}${duration(eta.seconds)}` : '';
}
