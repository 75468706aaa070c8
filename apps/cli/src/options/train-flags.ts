/** The `headstart train` flags: declared once on a commander Command, turned into TrainOptions. */
import { Option, type Command } from 'commander';
import { HeadstartError, type PreprocessMode } from '@headstart/core';
import type { BackendName, ScheduleInput, TrainOptions } from '../ports.ts';
import { AUGMENT_SYNTAX, HEAD_SYNTAX, choiceArg, intArg, numArg, parseAugment, parseHead, parseUnfreezeFlag } from './specs.ts';

const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
const PREPROCESS = ['tf', 'torch', 'caffe', 'none'] as const;

/** Parsed flags of `headstart train` (commander's camelCase names). */
export interface TrainFlags {
  out: string;
  base?: string;
  inputSize?: number;
  cut?: string;
  preprocess?: PreprocessMode;
  head?: TrainOptions['head'];
  epochs?: number;
  fineTuneEpochs?: number;
  unfreeze?: NonNullable<ScheduleInput['phase2']>['unfreeze'];
  lr?: number;
  fineTuneLr?: number;
  batchSize?: number;
  patience?: number;
  fixedEpochs?: boolean;
  standardize?: boolean;
  augment?: ReturnType<typeof parseAugment>;
  classWeights?: 'auto' | 'none';
  seed?: number;
  backend?: BackendName | 'auto';
  threads?: number;
  valSplit?: number;
  testSplit?: number;
  mode?: 'transfer' | 'scratch';
  maxImages?: number;
  resume?: boolean;
  json?: boolean;
  plain?: boolean;
  export?: boolean;
}

/** Adds the training flags (shared by `train`; `demo` reuses a subset) to `cmd`. */
export function addTrainFlags(cmd: Command): Command {
  return cmd
    .requiredOption('-o, --out <runDir>', 'run directory to write (runs/<name>)')
    .option('--base <id|path|url|runDir>', 'base model: catalogue id (see `headstart models`), model.json path/URL, or a run dir (default mobilenet_v2)')
    .option('--input-size <px>', 'square input size for resizable bases, e.g. 96', intArg('--input-size', 8))
    .option('--cut <layer>', 'layer to cut the base at (default: the base\'s own; earlier cuts suit far-from-ImageNet data)')
    .addOption(new Option('--preprocess <mode>', 'pixel preprocessing for a bring-your-own base').choices(PREPROCESS))
    .option('--head <spec>', HEAD_SYNTAX, parseHead)
    .option('--epochs <n>', 'phase 1 epochs (head only, base frozen)', intArg('--epochs'))
    .option('--fine-tune-epochs <n>', 'phase 2 epochs (fine-tune; 0 skips phase 2)', intArg('--fine-tune-epochs'))
    .option('--unfreeze <policy>', 'phase 2 unfreeze policy: top:N | from:<layer> | all | none', parseUnfreezeFlag)
    .option('--lr <rate>', 'phase 1 learning rate', numArg('--lr', Number.MIN_VALUE, 10, true))
    .option('--fine-tune-lr <rate>', 'phase 2 learning rate (Keras guide: 1e-5)', numArg('--fine-tune-lr', Number.MIN_VALUE, 10, true))
    .option('--batch-size <n>', 'batch size of both phases', intArg('--batch-size', 1))
    .option('--patience <n>', 'early-stopping patience in epochs (both phases)', intArg('--patience'))
    .option('--fixed-epochs', 'train every epoch: no early stopping or learning-rate reduction (tiny validation splits are too noisy to judge)')
    .option('--standardize', "standardise the base's features per channel in the head (statistics measured on the training images); helps cuts inside the base")
    .option('--augment <spec>', AUGMENT_SYNTAX, parseAugment)
    .addOption(new Option('--class-weights <mode>', 'class weights against imbalance').choices(['auto', 'none']))
    .option('--seed <n>', 'random seed (split, init, augmentation)', intArg('--seed'))
    .option('--backend <name>', `training backend: ${BACKENDS.join(' | ')}`, choiceArg('--backend', BACKENDS))
    .option('--threads <n>', 'training threads on the wasm/cpu backends, each taking a share of every batch (default: one per core; 1 = no workers)', intArg('--threads', 1))
    .option('--val-split <fraction>', 'validation fraction when the data has no val split', numArg('--val-split', 0, 1))
    .option('--test-split <fraction>', 'test fraction when the data has no test split', numArg('--test-split', 0, 1))
    .addOption(new Option('--mode <mode>', 'transfer (pretrained base) or scratch (same CNN from random init)').choices(['transfer', 'scratch']))
    .option('--max-images <n>', 'use at most N training images (quick trials)', intArg('--max-images', 1))
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--export', 'export model.onnx into the run directory at the end')
    .option('--json', 'print one JSON event per line (last: {"type":"done",...})')
    .option('--plain', 'plain lines even on a terminal (no dashboard)');
}

function phase(epochs: number | undefined, lr: number | undefined, batchSize: number | undefined, patience: number | undefined, fixed: boolean) {
  return {
    ...(epochs !== undefined ? { epochs } : {}),
    ...(lr !== undefined ? { learningRate: lr } : {}),
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(fixed ? { earlyStopping: false as const, reduceOnPlateau: false as const } : patience !== undefined ? { earlyStopping: { patience } } : {}),
  };
}

/** Turns parsed flags into the trainer's options; only flags given are set (the trainer owns defaults). */
export function toTrainOptions(data: string, f: TrainFlags): TrainOptions {
  const schedule: ScheduleInput = {};
  if (f.fixedEpochs && f.patience !== undefined) throw new HeadstartError('USAGE', '--fixed-epochs and --patience contradict each other: drop one');
  const fixed = f.fixedEpochs === true;
  const p1 = phase(f.epochs, f.lr, f.batchSize, f.patience, fixed);
  const p2 = { ...phase(f.fineTuneEpochs, f.fineTuneLr, f.batchSize, f.patience, fixed), ...(f.unfreeze ? { unfreeze: f.unfreeze } : {}) };
  if (Object.keys(p1).length > 0) schedule.phase1 = p1;
  if (Object.keys(p2).length > 0) schedule.phase2 = p2;
  if (f.mode) schedule.mode = f.mode;
  if (f.augment?.augment) schedule.augment = f.augment.augment;
  if (f.augment?.passes !== undefined) schedule.augmentedPasses = f.augment.passes;
  if (f.classWeights) schedule.classWeights = f.classWeights;
  if (f.seed !== undefined) schedule.seed = f.seed;
  if (f.valSplit !== undefined) schedule.valSplit = f.valSplit;
  if (f.testSplit !== undefined) schedule.testSplit = f.testSplit;
  return {
    data,
    out: f.out,
    ...(f.base ? { base: f.base } : {}),
    ...(f.inputSize !== undefined ? { inputSize: f.inputSize } : {}),
    ...(f.cut ? { cut: f.cut } : {}),
    ...(f.preprocess ? { preprocess: f.preprocess } : {}),
    ...(f.head || f.standardize ? { head: { ...(f.head ?? { kind: 'dense' as const }), ...(f.standardize ? { standardize: true } : {}) } } : {}),
    ...(Object.keys(schedule).length > 0 ? { schedule } : {}),
    ...(f.backend ? { backend: f.backend } : {}),
    ...(f.threads !== undefined ? { threads: f.threads } : {}),
    ...(f.resume ? { resume: true } : {}),
    ...(f.maxImages !== undefined ? { maxImages: f.maxImages } : {}),
  };
}
