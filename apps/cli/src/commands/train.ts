/** `headstart train <data> --out <runDir>`: two-phase transfer learning with a live dashboard. */
import type { Command } from 'commander';
import { trainModelSettings } from '../config.ts';
import { addTrainFlags, toTrainOptions, type TrainFlags } from '../options/train-flags.ts';
import { featureQueue } from '../bulk/feature-queue.ts';
import { nextSteps, sampleImage } from '../next-steps.ts';
import { chooseMode, runTraining, shellLine } from '../run-training.ts';
import { EXIT } from '../io.ts';
import type { RegisterCommand } from './index.ts';

/** The command line that resumes the current invocation. */
export function resumeCommandFor(cmd: Command): string {
  // commander keeps the argv it parsed on the root as `rawArgs` (untyped but long-standing).
  const root = cmd.parent as (Command & { rawArgs?: string[] }) | null;
  const raw = (root?.rawArgs ?? []).slice(2).filter((a) => a !== '--resume');
  return shellLine(['npx', 'headstart', ...raw, '--resume']);
}

export const registerTrain: RegisterCommand = (program, io, setExit, ports) => {
  const cmd = program
    .command('train')
    .description('train an image classifier on <data> by transfer learning (phase 1: head; phase 2: fine-tune)')
    .argument('<data>', 'dataset: class-per-folder, train/val/test folders, CSV manifest, or IDX files');
  addTrainFlags(cmd)
    .addHelpText(
      'after',
      [
        '',
        'Output: a live dashboard on a terminal (q / Ctrl-C stops after a checkpoint), plain lines otherwise, --json for events.',
        'At the end the run is evaluated, exported to <runDir>/model.onnx (unless --no-export), and the next commands are printed.',
        'An existing run in --out is never reused silently: pass --overwrite to replace it or --resume to continue it.',
        'Exit codes: 0 done, 1 usage error, 2 data or model problem, 130 stopped (resume with --resume).',
        '',
        'Examples:',
        '  headstart train data/flowers --out runs/flowers',
        '  headstart train data/xray --out runs/xray --input-size 128 --cut block_12_add --unfreeze top:30 --augment light',
        '  headstart train data/flowers --out runs/flowers --resume',
        '  headstart train data/flowers --out runs/flowers --overwrite --epochs 10',
      ].join('\n'),
    )
    .action(async (data: string, flags: TrainFlags, self: Command) => {
      const train = toTrainOptions(data, flags);
      // The output folder first (writable, not a run reused by accident): before TF.js loads or any data is read.
      // Imported here, not at the top: run-dir's checkpoint code loads TF.js, which every other command's start-up would pay for.
      const { checkRunDir } = await import('@headstart/trainer/run-dir');
      await checkRunDir(train.out, { ...(flags.resume ? { resume: true } : {}), ...(flags.overwrite ? { overwrite: true } : {}) });
      const resumeCommand = resumeCommandFor(self);
      const queue = flags.queue ? { featureQueue: await featureQueue(flags.queue, `the chunks gathered so far are kept in ${train.out}; resume with: ${resumeCommand}`) } : {};
      const trainer = await ports.loadTrainer();
      const exporter = flags.export ? await ports.loadExporter() : undefined;
      const { code, state } = await runTraining(
        io,
        {
          train: { ...train, ...trainModelSettings(), ...queue },
          mode: chooseMode(io, flags.json === true, flags.plain === true),
          exportOnnx: flags.export === true,
          resumeCommand,
        },
        { trainer, exporter },
      );
      setExit(code);
      if (code !== EXIT.ok || flags.json) return;
      const runDir = state.done?.runDir ?? flags.out;
      io.stdout.write(`${nextSteps(runDir, state.exportPath, sampleImage(data)).join('\n')}\n`);
    });
};
