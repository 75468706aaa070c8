/**
 * `headstart demo`: the bundled default. Checks the committed Fashion-MNIST demo set, trains
 * mobilenet_v2 (offline) in both phases with settings sized for a 2-core machine, evaluates,
 * exports ONNX and prints how to predict and serve with it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HeadstartError } from '@headstart/core';
import { checkDataset } from '@headstart/core-node';
import { EXIT } from '../io.ts';
import type { TrainOptions } from '../ports.ts';
import { displayPath, nextSteps, sampleImage } from '../next-steps.ts';
import { chooseMode, runTraining, shellLine } from '../run-training.ts';
import type { RegisterCommand } from './index.ts';

/** The committed demo dataset (class-per-folder PNGs), relative to the repository root. */
export const DEMO_DATA = fileURLToPath(new URL('../../../../data/demo/fashion-mnist', import.meta.url));

/** Demo training settings: exactly what plain `headstart train` does (the measured recipe). */
export function demoTrainOptions(data: string, out: string): TrainOptions {
  return { data, out, recipe: 'measured' };
}

/** First free run directory: `runs/demo`, then `runs/demo-2`, ... (never overwrites a run). */
export function freeRunDir(base: string): string {
  if (!existsSync(base)) return base;
  for (let i = 2; ; i++) if (!existsSync(`${base}-${i}`)) return `${base}-${i}`;
}

export const registerDemo: RegisterCommand = (program, io, setExit, ports) => {
  program
    .command('demo')
    .description('the bundled default: check the demo dataset, train mobilenet_v2 (both phases), evaluate, export ONNX')
    .option('--data <dir>', 'dataset to use instead of the committed Fashion-MNIST demo set')
    .option('--out <runDir>', 'run directory (default: first free of runs/demo, runs/demo-2, …)')
    .option('--json', 'print one JSON event per line')
    .option('--plain', 'plain lines even on a terminal')
    .action(async (flags: { data?: string; out?: string; json?: boolean; plain?: boolean }) => {
      const data = flags.data ?? DEMO_DATA;
      const say = (line: string): void => void (flags.json ? io.stderr : io.stdout).write(`${line}\n`);
      if (!existsSync(data)) {
        throw new HeadstartError('DATASET_NOT_FOUND', `demo dataset not found at ${data}; pass --data <dir> or restore data/demo/fashion-mnist from git`);
      }
      say(`checking ${data} …`);
      const check = await checkDataset(data);
      const counts = Object.entries(check.classes);
      say(`dataset: ${check.totals.good} images in ${counts.length} classes (${counts.map(([k, v]) => `${k} ${v}`).join(', ')})`);
      for (const p of check.problems.filter((q) => q.severity !== 'info').slice(0, 5)) say(`  ${p.severity} ${p.code} ${p.path}: ${p.message}`);
      if (!check.usable) throw new HeadstartError('DATASET_UNUSABLE', `demo dataset ${data} is not usable: ${check.verdict}`);

      const out = flags.out ?? freeRunDir('runs/demo');
      const trainer = await ports.loadTrainer();
      const exporter = await ports.loadExporter();
      const train = demoTrainOptions(data, out);
      const { code, state } = await runTraining(
        io,
        {
          train,
          mode: chooseMode(io, flags.json === true, flags.plain === true),
          exportOnnx: true,
          resumeCommand: shellLine(['npx', 'headstart', 'train', data, '--out', out, '--resume']),
        },
        { trainer, exporter },
      );
      setExit(code);
      if (code !== EXIT.ok) return;
      const onnx = state.exportPath;
      const held = state.done?.metrics['test_acc'] !== undefined ? 'held-out test' : 'validation';
      const acc = state.evaluation?.accuracy ?? state.done?.metrics['test_acc'] ?? state.done?.metrics['val_acc'];
      const image = sampleImage(data);
      say('');
      say(`demo finished: ${held} accuracy ${acc === undefined ? 'n/a' : `${(acc * 100).toFixed(1)}%`} (report: ${displayPath(state.done?.reportPath ?? out)})`);
      for (const line of nextSteps(out, onnx, image)) say(line);
    });
};
