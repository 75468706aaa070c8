/**
 * The selection rules compared by cut-choice.ts (the advisor's shipped rule among them, through its
 * own code), the statistics they read from each candidate's held-out ridge scores, and the report.
 */
import { fitTemperature } from '@headstart/core';
import { pairedDifference, pickProbe, withExcess, type ProbePooling } from '@headstart/trainer';
import { mdTable, mean, median, pct, stdev } from './bench-kit.ts';

/** One candidate's measurements on one draw. */
export interface Candidate {
  cut: string;
  pooling: ProbePooling;
  dim: number;
  /** Position in the advisor's preference order (default cut first, avg before flatten). */
  order: number;
  cvAccuracy: number;
  /** Per sample image: fraction of CV repetitions it was right, mean squared error and margin of its held-out ridge scores. */
  perImage: number[];
  sqError: number[];
  margin: number[];
  /** Per sample image: mean held-out log-loss after one temperature fitted to all the candidate's held-out scores; squared error after one fitted scale. */
  nll: number[];
  scaledSq: number[];
  /** Test accuracy of the ridge probe on the whole training split. */
  test: number;
}

/** One development draw: its candidates. */
export interface Draw {
  k: number;
  seed: number;
  trainImages: number;
  sampleImages: number;
  candidates: Candidate[];
}

/** A selection rule: the index of the chosen candidate. */
export type Rule = (c: readonly Candidate[]) => number;

const avg = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** True when a's per-image values exceed b's by at most one standard error of the paired difference. */
function withinOneSe(a: readonly number[], b: readonly number[]): boolean {
  const { mean, se } = pairedDifference(a, b);
  return mean <= se + 1e-12;
}

function argBest(c: readonly Candidate[], score: (x: Candidate) => number): number {
  let best = 0;
  c.forEach((x, i) => {
    if (score(x) > score(c[best] as Candidate)) best = i;
  });
  return best;
}

/** Candidates whose paired accuracy gap to the best-accuracy candidate is within z standard errors. */
function ties(c: readonly Candidate[], z: number): number[] {
  const b = c[argBest(c, (x) => x.cvAccuracy)] as Candidate;
  return c.flatMap((x, i) => {
    const { mean, se } = pairedDifference(b.perImage, x.perImage);
    return mean <= z * se + 1e-12 ? [i] : [];
  });
}

function pickAmong(c: readonly Candidate[], idx: number[], score: (x: Candidate) => number): number {
  return idx.reduce((best, i) => (score(c[i] as Candidate) > score(c[best] as Candidate) ? i : best), idx[0] as number);
}

/** The rules compared (references last: they are not rules, they bound what a rule can reach). */
export const RULES: Record<string, Rule> = {
  // The advisor's rule as shipped (packages/trainer/src/probe/pick.ts), through its own code.
  'pickProbe (adopted)': (c) => {
    const probes = withExcess(c.map((x) => ({ cut: x.cut, pooling: x.pooling, dim: x.dim, accuracy: x.cvAccuracy, sqError: avg(x.sqError), perImageSqError: x.sqError })));
    return probes.indexOf(pickProbe(probes));
  },
  // The rule before: the best accuracy, unless the default (first) is within a point of it.
  current: (c) => {
    const best = argBest(c, (x) => x.cvAccuracy);
    return (c[0] as Candidate).cvAccuracy >= (c[best] as Candidate).cvAccuracy - 0.01 ? 0 : best;
  },
  'best-acc': (c) => argBest(c, (x) => x.cvAccuracy),
  '1se-lowdim': (c) => pickAmong(c, ties(c, 1), (x) => -x.dim),
  '1se-highdim': (c) => pickAmong(c, ties(c, 1), (x) => x.dim),
  '1se-order': (c) => pickAmong(c, ties(c, 1), (x) => -x.order),
  '1se-sqerr': (c) => pickAmong(c, ties(c, 1), (x) => -avg(x.sqError)),
  '1se-margin': (c) => pickAmong(c, ties(c, 1), (x) => avg(x.margin)),
  sqerr: (c) => argBest(c, (x) => -avg(x.sqError)),
  margin: (c) => argBest(c, (x) => avg(x.margin)),
  nll: (c) => argBest(c, (x) => -avg(x.nll)),
  'scaled-sqerr': (c) => argBest(c, (x) => -avg(x.scaledSq)),
  '1se-nll': (c) => pickAmong(c, ties(c, 1), (x) => -avg(x.nll)),
  'sqerr-1se-acc': (c) => {
    const best = c[argBest(c, (x) => -avg(x.sqError))] as Candidate;
    const tied = c.flatMap((x, i) => (withinOneSe(x.sqError, best.sqError) ? [i] : []));
    return pickAmong(c, tied, (x) => x.cvAccuracy);
  },
  'nll-1se-acc': (c) => {
    const best = c[argBest(c, (x) => -avg(x.nll))] as Candidate;
    const tied = c.flatMap((x, i) => (withinOneSe(x.nll, best.nll) ? [i] : []));
    return pickAmong(c, tied, (x) => x.cvAccuracy);
  },
  'sqerr-keep-default': (c) => {
    const best = argBest(c, (x) => -avg(x.sqError));
    const { mean, se } = pairedDifference((c[0] as Candidate).sqError, (c[best] as Candidate).sqError);
    return mean <= se ? 0 : best;
  },
  'sqerr-1se-order': (c) => {
    const best = c[argBest(c, (x) => -avg(x.sqError))] as Candidate;
    return c.findIndex((x) => withinOneSe(x.sqError, best.sqError));
  },
  'oracle (reference)': (c) => argBest(c, (x) => x.test),
  'block_12_add/flatten (reference)': (c) => Math.max(0, c.findIndex((x) => x.cut === 'block_12_add' && x.pooling === 'flatten')),
  'out_relu/avg (reference)': () => 0,
};

/** Per-image margin, temperature-scaled log-loss and scale-fitted squared error of held-out scores (means over repetitions). */
export function smoothStats(scores: readonly Float32Array[], labels: Int32Array, classes: number): { margin: Float64Array; nll: Float64Array; scaledSq: Float64Array } {
  const n = labels.length;
  const reps = scores.length;
  const allScores = new Float32Array(n * classes * reps);
  scores.forEach((s, r) => allScores.set(s, r * n * classes));
  const allLabels = Int32Array.from({ length: n * reps }, (_, i) => labels[i % n] as number);
  const temperature = fitTemperature(allScores, allLabels, classes);
  const prior = new Float64Array(classes);
  labels.forEach((l) => (prior[l]! += 1 / n));
  // The one scale a minimising Σ (a·s − t)² over every held-out score, t the centred one-hot target.
  let st = 0;
  let ss = 0;
  scores.forEach((s) => s.forEach((v, j) => {
    const t = ((labels[Math.floor(j / classes)] as number) === j % classes ? 1 : 0) - (prior[j % classes] as number);
    st += v * t;
    ss += v * v;
  }));
  const a = ss > 0 ? st / ss : 0;
  const margin = new Float64Array(n);
  const nll = new Float64Array(n);
  const scaledSq = new Float64Array(n);
  for (const s of scores) {
    for (let i = 0; i < n; i++) {
      const y = labels[i] as number;
      let other = Number.NEGATIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < classes; c++) max = Math.max(max, s[i * classes + c]! / temperature);
      let z = 0;
      let sq = 0;
      for (let c = 0; c < classes; c++) {
        const v = s[i * classes + c]!;
        if (c !== y) other = Math.max(other, v);
        z += Math.exp(v / temperature - max);
        sq += (a * v - ((c === y ? 1 : 0) - prior[c]!)) ** 2;
      }
      margin[i]! += (s[i * classes + y]! - other) / reps;
      nll[i]! += (max + Math.log(z) - s[i * classes + y]! / temperature) / reps;
      scaledSq[i]! += sq / reps;
    }
  }
  return { margin, nll, scaledSq };
}


/** The markdown report: per k and rule, test accuracy of the picked probe (mean, median), loss vs hindsight, picks. */
export function report(draws: readonly Draw[], ks: readonly number[]): string {
  const out: string[] = [];
  const names = Object.keys(RULES);
  const summary: (string | number)[][] = [];
  for (const k of ks) {
    const ds = draws.filter((d) => d.k === k);
    if (ds.length === 0) continue;
    const current = ds.map((d) => (d.candidates[(RULES.current as Rule)(d.candidates)] as Candidate).test);
    const table = names.map((name) => {
      const rule = RULES[name] as Rule;
      const picks = ds.map((d) => d.candidates[rule(d.candidates)] as Candidate);
      const accs = picks.map((p) => p.test);
      const oracle = ds.map((d) => Math.max(...d.candidates.map((c) => c.test)));
      const diff = accs.map((a, i) => a - (current[i] as number));
      const hist = new Map<string, number>();
      picks.forEach((p) => hist.set(`${p.cut}/${p.pooling}`, (hist.get(`${p.cut}/${p.pooling}`) ?? 0) + 1));
      const histText = [...hist].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c.replace('_add', '')} ${n}`).join(', ');
      summary.push([k, name, mean(accs) * 100, mean(diff) * 100]);
      const se = stdev(diff) / Math.sqrt(diff.length);
      return [name, pct(mean(accs)), pct(median(accs)), pct(Math.min(...accs)), `${(mean(diff) * 100).toFixed(2)} ± ${(se * 100).toFixed(2)}`, `${diff.filter((x) => x > 0).length}/${diff.filter((x) => x < 0).length}`, (mean(accs.map((a, i) => (oracle[i] as number) - a)) * 100).toFixed(2), histText];
    });
    out.push(`### k = ${k} (${ds.length} draws, ${ds[0]?.trainImages} training images, CV on ${ds[0]?.sampleImages})`, '');
    out.push(mdTable(['rule', 'mean test', 'median test', 'worst', 'vs current (pts, mean ± SE)', 'better/worse draws', 'below hindsight best (pts)', 'picks'], table), '');
  }
  const across = names.map((name) => {
    const rows = summary.filter((r) => r[1] === name);
    return [name, ...rows.map((r) => (r[3] as number).toFixed(2)), (mean(rows.map((r) => r[3] as number)) as number).toFixed(2)];
  });
  out.push('### Test accuracy vs the current rule, mean over draws (points)', '');
  out.push(mdTable(['rule', ...ks.filter((k) => draws.some((d) => d.k === k)).map((k) => `k = ${k}`), 'mean over k'], across), '');
  return out.join('\n');
}
