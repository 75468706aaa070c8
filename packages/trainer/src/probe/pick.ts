/**
 * The advisor's choice among measured probes (cut × pooling). Ranking by cross-validated 0/1
 * accuracy is noise on tiny data: on a few dozen images accuracy moves in steps of one image and
 * the candidates differ by less than that. The rule: the squared error of the ridge probe's
 * held-out scores (the loss the probe itself minimises; every image counts by how right or wrong
 * it is, not only by which side of the boundary it falls) finds the best candidate and those it
 * cannot tell apart from it — within one standard error of the per-image difference, paired over
 * the same images — and among those ties the one with the highest accuracy, the quantity a user
 * gets, is chosen (the first in preference order of equals). Chosen on development draws
 * (`tools/src/bench/cut-choice.ts`, docs/benchmarks.md "Choosing the cut on tiny data").
 */
import { pct } from '../format.ts';
import type { ProbePooling } from './cross-validate.ts';

/** One measured configuration: cross-validated probe accuracy and squared error of a cut and pooling. */
export interface ProbeResult {
  cut: string;
  pooling: ProbePooling;
  /** Features per image after pooling. */
  dim: number;
  accuracy: number;
  /** Mean squared error of the held-out ridge scores against the centred one-hot targets (the probe's own loss; lower is better). */
  sqError: number;
  /** Mean per-image excess of this probe's squared error over the lowest-error probe's, paired over the same images (0 for that probe), and its standard error. */
  excess: number;
  excessSe: number;
}

/** A probe ties with the lowest-error one when its paired excess squared error is within this many standard errors. */
export const PROBE_TIE_SE = 1;

/** Mean and standard error of the per-image difference a − b (paired over the same images). */
export function pairedDifference(a: ArrayLike<number>, b: ArrayLike<number>): { mean: number; se: number } {
  const n = a.length;
  if (n === 0) return { mean: 0, se: 0 };
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i]! - b[i]!;
  const mean = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (a[i]! - b[i]! - mean) ** 2;
  return { mean, se: n > 1 ? Math.sqrt(v / (n - 1) / n) : 0 };
}

/** The probe with the lowest squared error (the first of equals); undefined for none. */
function lowestError<T extends { sqError: number }>(probes: readonly T[]): T | undefined {
  return probes.reduce<T | undefined>((a, b) => (!a || b.sqError < a.sqError ? b : a), undefined);
}

/** Measured probes (per-image squared errors on the same images) → ProbeResults with their paired excess over the lowest-error probe. */
export function withExcess<T extends Omit<ProbeResult, 'excess' | 'excessSe'>>(probes: readonly (T & { perImageSqError: ArrayLike<number> })[]): ProbeResult[] {
  const lowest = lowestError(probes);
  return probes.map(({ perImageSqError, ...p }) => {
    const d = lowest && p !== lowest ? pairedDifference(perImageSqError, lowest.perImageSqError) : { mean: 0, se: 0 };
    return { cut: p.cut, pooling: p.pooling, dim: p.dim, accuracy: p.accuracy, sqError: p.sqError, excess: d.mean, excessSe: d.se };
  });
}

/** The lowest-error probe (the first of equals) and the probes tied with it (itself included), in preference order. */
export function probeTies(results: readonly ProbeResult[]): { lowest: ProbeResult; ties: ProbeResult[] } {
  const lowest = lowestError(results);
  if (!lowest) throw new RangeError('pickProbe: no probe results');
  return { lowest, ties: results.filter((p) => p === lowest || p.excess <= PROBE_TIE_SE * p.excessSe) };
}

/** The advisor's pick (see the module comment): the most accurate of the probes tied with the lowest squared error. */
export function pickProbe(results: readonly ProbeResult[]): ProbeResult {
  const { ties } = probeTies(results);
  return ties.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
}

/** The rule and its numbers, for the chosen probe: why it, over which ties, and the best probe not tied. */
export function pickExplanation(results: readonly ProbeResult[], chosen: ProbeResult): string {
  const { lowest, ties } = probeTies(results);
  const others = ties.filter((p) => p !== chosen);
  const untied = lowestError(results.filter((p) => !ties.includes(p)));
  const fmt = (p: ProbeResult): string => `${p.cut}/${p.pooling} ${pct(p.accuracy)}, ${p.sqError.toFixed(3)}${p === lowest ? '' : ` (+${p.excess.toFixed(3)} ± ${p.excessSe.toFixed(3)})`}`;
  const head = others.length === 0 ? `the lowest cross-validated squared error of the probe's scores, ${fmt(chosen)}` : `the most accurate of the ${ties.length} probes within ${PROBE_TIE_SE} standard error (paired over images) of the lowest cross-validated squared error of the scores: ${[chosen, ...others].map(fmt).join('; ')}`;
  return `${head}${untied ? `; next beyond them ${fmt(untied)}` : ''} (accuracy, squared error; squared error ranks with less noise than accuracy on few images)`;
}

/** The advisor's line on the cut and pooling: the rule, the chosen probe's numbers and its rivals'. */
export function probeReason(results: readonly ProbeResult[], chosen: ProbeResult, reference: ProbeResult): string {
  const why = pickExplanation(results, chosen);
  return chosen === reference ? `keep the default cut ${chosen.cut} with ${chosen.pooling} pooling: ${why}` : `cut at ${chosen.cut} with ${chosen.pooling} pooling (earlier cuts keep more generic, spatial features): ${why}`;
}
