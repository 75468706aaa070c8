/**
 * The label-error finder on planted noise: the demo Fashion-MNIST folder (1000 images, 10 classes)
 * with 2, 5 and 10 % of its labels flipped to a random other class; `deepCheck` ranks suspects.
 * Reports precision@k (k = flipped count) and recall in the top 2k; for `--train-rates`, trains
 * what plain `headstart train` trains (the measured recipe) on the clean, the noisy and the cleaned
 * folder (noisy minus the top 2k suspects) and evaluates all three on 500 clean Fashion-MNIST test
 * images. `--quick` is a smoke test of the whole path (5 % only, 2-epoch heads, 100 test images).
 *
 * Usage: nice -n 10 node --import tsx tools/src/bench/label-noise.ts [--rates 0.02,0.05,0.1]
 *          [--train-rates 0.05] [--quick] [--md out.md]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { plantLabelNoise } from '@headstart/core-node/testing';
import { deepCheck, evaluateRun, train } from '@headstart/trainer';
import { materialize } from '../fashion-mnist/fashion-mnist.ts';
import { benchCommand, mdTable, parseList, pct, secs, writeMarkdown } from './bench-kit.ts';
import { describeMachine, machineLine } from './machine.ts';

const DEMO = fileURLToPath(new URL('../../../data/demo/fashion-mnist', import.meta.url));

/** One noise level's result. */
export interface NoiseRow {
  rate: number;
  flipped: number;
  flagged: number;
  precisionAtK: number;
  recallAt2K: number;
  probeAccuracy: number;
  seconds: number;
  cpuSeconds: number;
  accuracy?: { clean: number; noisy: number; cleaned: number; removed: number; testImages: number; trainCpuSeconds: number };
}

/** Sizes of a run: the documented one, or `--quick` (a smoke test whose numbers are not results). */
export interface NoiseSizes {
  /** Clean test images per class for the accuracy rows. */
  testPerClass: number;
  /** Head epochs cap for the accuracy runs (undefined: what plain `headstart train` decides). */
  epochs?: number;
}

/** CPU seconds (user + system) since `start`. */
const cpuSince = (start: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(start);
  return (c.user + c.system) / 1e6;
};

/** Trains what plain `headstart train` trains (measured recipe) and evaluates it on `test`. */
async function trainedAccuracy(data: string, out: string, test: string, sizes: NoiseSizes): Promise<number> {
  await train({ data, out, recipe: 'measured', ...(sizes.epochs ? { schedule: { phase1: { epochs: sizes.epochs }, phase2: { epochs: 0 } } } : {}) }, () => undefined);
  return (await evaluateRun(out, { data: test })).accuracy;
}

/** Runs the benchmark; `log` gets progress lines. */
export async function runLabelNoise(rates: number[], trainRates: number[], log: (l: string) => void, sizes: NoiseSizes = { testPerClass: 50 }): Promise<NoiseRow[]> {
  const work = await mkdtemp(join(tmpdir(), 'hs-bench-noise-'));
  try {
    const test = join(work, 'test');
    if (trainRates.length > 0) await materialize({ out: test, perClass: sizes.testPerClass, split: 'test', seed: 1 });
    const cClean = process.cpuUsage();
    const cleanAcc = trainRates.length > 0 ? await trainedAccuracy(DEMO, join(work, 'run-clean'), test, sizes) : Number.NaN;
    const cleanCpu = cpuSince(cClean);
    const rows: NoiseRow[] = [];
    for (const rate of rates) {
      const noisy = await plantLabelNoise(DEMO, join(work, `noisy-${rate}`), rate, 5);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const { report } = await deepCheck(noisy.root);
      const cpu = process.cpuUsage(c0);
      const k = noisy.flipped.size;
      const hits = (n: number): number => report.labelIssues.slice(0, n).filter((i) => noisy.flipped.has(i.path)).length;
      const row: NoiseRow = {
        rate,
        flipped: k,
        flagged: report.labelIssues.length,
        precisionAtK: hits(k) / k,
        recallAt2K: hits(2 * k) / k,
        probeAccuracy: report.probeAccuracy,
        seconds: (performance.now() - t0) / 1000,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
      };
      log(`rate ${rate}: precision@${k} ${pct(row.precisionAtK)}, recall@${2 * k} ${pct(row.recallAt2K)} (${row.seconds.toFixed(0)} s)`);
      if (trainRates.includes(rate)) {
        const cleaned = await plantLabelNoise(DEMO, join(work, `cleaned-${rate}`), rate, 5);
        const removed = report.labelIssues.slice(0, 2 * k);
        await Promise.all(removed.map((i) => rm(join(cleaned.root, i.path))));
        const c1 = process.cpuUsage();
        const noisyAcc = await trainedAccuracy(noisy.root, join(work, `run-noisy-${rate}`), test, sizes);
        const cleanedAcc = await trainedAccuracy(cleaned.root, join(work, `run-cleaned-${rate}`), test, sizes);
        row.accuracy = { clean: cleanAcc, noisy: noisyAcc, cleaned: cleanedAcc, removed: removed.length, testImages: sizes.testPerClass * 10, trainCpuSeconds: cleanCpu + cpuSince(c1) };
        log(`  test accuracy clean ${pct(cleanAcc)}, noisy ${pct(noisyAcc)}, cleaned ${pct(cleanedAcc)}`);
      }
      rows.push(row);
    }
    return rows;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The markdown section of the results. */
export function labelNoiseMarkdown(rows: NoiseRow[], command: string, machine: string): string {
  const lines = [
    `Command: \`${command}\``,
    '',
    `Machine: ${machine}`,
    '',
    'The demo folder (`data/demo/fashion-mnist`, 1000 images) with a share of its labels flipped to a random other class (seed 5); `headstart check --deep` defaults (mobilenet_v2 embeddings at the cut and pooling the probes pick, 5-fold ridge probes, confident learning). k = the number of flipped images.',
    '',
    mdTable(
      ['noise', 'flipped (k)', 'flagged', 'precision@k', 'recall in top 2k', 'probe accuracy (out of fold)', 'wall', 'CPU'],
      rows.map((r) => [pct(r.rate, 0), r.flipped, r.flagged, pct(r.precisionAtK), pct(r.recallAt2K), pct(r.probeAccuracy), secs(r.seconds), secs(r.cpuSeconds)]),
    ),
  ];
  const trained = rows.filter((r) => r.accuracy);
  if (trained.length > 0) {
    lines.push(
      '',
      'Accuracy recovered: plain `headstart train` (the measured recipe) on the clean folder, the noisy folder and the noisy folder minus the top 2k suspects (all flagged ones when fewer are flagged), each evaluated on clean Fashion-MNIST test images (the same per class, seed 1; never in the demo folder).',
      '',
      mdTable(
        ['noise', 'removed', 'test images', 'clean', 'noisy', 'noisy − suspects', 'recovered', 'CPU (3 trainings)'],
        trained.map((r) => {
          const a = r.accuracy as NonNullable<NoiseRow['accuracy']>;
          const lost = a.clean - a.noisy;
          return [
            pct(r.rate, 0),
            a.removed,
            a.testImages,
            pct(a.clean),
            pct(a.noisy),
            pct(a.cleaned),
            lost > 0 ? `${pct((a.cleaned - a.noisy) / lost, 0)} of the ${pct(lost)} lost` : `${pct(a.cleaned - a.noisy)} (noise cost nothing)`,
            secs(a.trainCpuSeconds),
          ];
        }),
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { rates: { type: 'string' }, 'train-rates': { type: 'string' }, quick: { type: 'boolean', default: false }, md: { type: 'string' } } });
  const quick = values.quick === true;
  const ratesArg = values.rates ?? (quick ? '0.05' : '0.02,0.05,0.1');
  const trainArg = values['train-rates'] ?? '0.05';
  const rows = await runLabelNoise(parseList(ratesArg).map(Number), parseList(trainArg).map(Number), (l) => process.stderr.write(`${l}\n`), quick ? { testPerClass: 10, epochs: 2 } : { testPerClass: 50 });
  const command = benchCommand('label-noise.ts', ['--rates', ratesArg, '--train-rates', trainArg, ...(quick ? ['--quick'] : [])]);
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  if (values.md) {
    await writeMarkdown(resolve(values.md), labelNoiseMarkdown(rows, command, machineLine(describeMachine())));
  }
}
