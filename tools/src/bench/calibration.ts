/**
 * Calibration on the demo data: plain `headstart train` (the measured recipe, as `npm run demo`)
 * on the demo folder, then `headstart eval --data` on Fashion-MNIST test images the demo folder
 * never holds. Reports the temperature, the ECE the run's report states (cross-fitted on its
 * held-out images) and the ECE on the unseen images with and without the temperature.
 *
 * Usage: nice -n 10 node --import tsx tools/src/bench/calibration.ts [--seeds 1,2,3]
 *          [--test-per-class 100] [--quick] [--md out.md]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { evaluateRun, train } from '@headstart/trainer';
import { materialize } from '../fashion-mnist/fashion-mnist.ts';
import { benchCommand, mdTable, parseIntList, parsePositiveInt, pct, secs, writeMarkdown } from './bench-kit.ts';
import { describeMachine, machineLine } from './machine.ts';

const DEMO = fileURLToPath(new URL('../../../data/demo/fashion-mnist', import.meta.url));

/** One seed's result. */
export interface CalibrationRow {
  seed: number;
  temperature: number;
  heldOut: string;
  heldOutCount: number;
  reportEceBefore: number;
  reportEceAfter: number;
  unseen: number;
  unseenAccuracy: number;
  unseenEceBefore: number;
  unseenEceAfter: number;
  cpuSeconds: number;
}

/** Runs the benchmark; `log` gets progress lines. */
export async function runCalibration(seeds: number[], testPerClass: number, quick: boolean, log: (l: string) => void): Promise<CalibrationRow[]> {
  const work = await mkdtemp(join(tmpdir(), 'hs-bench-calibration-'));
  try {
    const test = join(work, 'unseen');
    await materialize({ out: test, perClass: testPerClass, split: 'test', seed: 1 });
    const rows: CalibrationRow[] = [];
    for (const seed of seeds) {
      const c0 = process.cpuUsage();
      const out = join(work, `run-${seed}`);
      const { manifest } = await train({ data: DEMO, out, recipe: 'measured', schedule: { seed, ...(quick ? { phase1: { epochs: 2 }, phase2: { epochs: 0 } } : {}) } }, () => undefined);
      const c = manifest.calibration;
      if (!c) throw new Error(`seed ${seed}: the run was not calibrated`);
      const report = await evaluateRun(out, { data: test });
      const cpu = process.cpuUsage(c0);
      const row: CalibrationRow = {
        seed,
        temperature: c.temperature,
        heldOut: c.heldOut,
        heldOutCount: c.count,
        reportEceBefore: c.eceBefore,
        reportEceAfter: c.eceAfter,
        unseen: report.count,
        unseenAccuracy: report.accuracy,
        unseenEceBefore: report.ece?.uncalibrated ?? Number.NaN,
        unseenEceAfter: report.ece?.calibrated ?? Number.NaN,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
      };
      log(`seed ${seed}: T ${row.temperature.toFixed(3)}, unseen ECE ${pct(row.unseenEceBefore)} → ${pct(row.unseenEceAfter)}`);
      rows.push(row);
    }
    return rows;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The markdown section of the results. */
export function calibrationMarkdown(rows: CalibrationRow[], command: string, machine: string): string {
  return [
    `Command: \`${command}\``,
    '',
    `Machine: ${machine}`,
    '',
    'Plain `headstart train` on the demo folder (`data/demo/fashion-mnist`, as `npm run demo`; the seed varies the split and initialisation), then `headstart eval --data` on Fashion-MNIST test images (seed 1) that the demo folder does not hold. The temperature is fitted on the run\'s validation and test images; "report" is the ECE its report.html states (cross-fitted: each half scaled by a temperature fitted on the other half); "unseen" is the ECE (15 equal-width bins) on the unseen images without and with the temperature.',
    '',
    mdTable(
      ['seed', 'T', 'fitted on', 'report ECE before → after', 'unseen images', 'unseen accuracy', 'unseen ECE before', 'unseen ECE after', 'after / before', 'CPU'],
      rows.map((r) => [
        r.seed,
        r.temperature.toFixed(3),
        `${r.heldOutCount} (${r.heldOut})`,
        `${pct(r.reportEceBefore)} → ${pct(r.reportEceAfter)}`,
        r.unseen,
        pct(r.unseenAccuracy),
        pct(r.unseenEceBefore),
        pct(r.unseenEceAfter),
        (r.unseenEceAfter / r.unseenEceBefore).toFixed(2),
        secs(r.cpuSeconds),
      ]),
    ),
  ].join('\n') + '\n';
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { seeds: { type: 'string' }, 'test-per-class': { type: 'string' }, quick: { type: 'boolean', default: false }, md: { type: 'string' } } });
  const quick = values.quick === true;
  const seedsArg = values.seeds ?? (quick ? '1' : '1,2,3');
  const perClass = parsePositiveInt(values['test-per-class'] ?? (quick ? '10' : '100'), '--test-per-class');
  const rows = await runCalibration(parseIntList(seedsArg, '--seeds'), perClass, quick, (l) => process.stderr.write(`${l}\n`));
  const command = benchCommand('calibration.ts', ['--seeds', seedsArg, '--test-per-class', String(perClass), ...(quick ? ['--quick'] : [])]);
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  if (values.md) await writeMarkdown(resolve(values.md), calibrationMarkdown(rows, command, machineLine(describeMachine())));
}
