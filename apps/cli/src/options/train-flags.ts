/** The `headstart train` flags: declared once on a commander Command, turned into TrainOptions. */
import { Option, type Command } from 'commander';
import { DEFAULT_EARLY_STOPPING_PATIENCE, HeadstartError, type PreprocessMode } from '@headstart/core';
import type { BackendName, ScheduleInput, TrainOptions } from '../ports.ts';
import { DEFAULT_HEAD, DEFAULT_SCHEDULE } from '@headstart/trainer/defaults';
import { AUGMENT_SYNTAX, HEAD_SYNTAX, choiceArg, intArg, numArg, probabilityArg, parseAugment, parseHead, parseUnfreezeFlag } from './specs.ts';

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
  unknownBelow?: number;
  unknownPrecision?: number;
  valSplit?: number;
  testSplit?: number;
  mode?: 'transfer' | 'scratch';
  recipe?: 'measured' | 'keras';
  maxImages?: number;
  queue?: string;
  resume?: boolean;
  overwrite?: boolean;
  json?: boolean;
  plain?: boolean;
  export?: boolean;
}

const d = DEFAULT_SCHEDULE;
/** `text (default: value)`: help shows the trainer's own defaults, never a copy of them. */
const dflt = (text: string, value: unknown): string => `${text} (default: ${String(value)})`;
const headDefault = (): string => {
  const h = DEFAULT_HEAD;
  return h.kind === 'dense' ? `${h.pooling}, dropout ${h.dropout}${h.blocks.length ? `, ${h.blocks.length} hidden block(s)` : ''}` : h.kind;
};
const unfreezeDefault = (): string => {
  const u = d.phase2.unfreeze as { kind: string; n?: number; layer?: string };
  return u.kind === 'top' ? `top:${u.n}` : u.kind === 'from' ? `from:${u.layer}` : u.kind;
};

/** Adds the training flags (shared by `train`; `demo` reuses a subset) to `cmd`. */
export function addTrainFlags(cmd: Command): Command {
  return cmd
    .requiredOption('-o, --out <runDir>', 'run folder to write (runs/<name>); an existing run needs --overwrite or --resume')
    .option('--base <id|path|url|runDir>', dflt('base model: catalogue id (see `headstart models`), model.json path/URL, Keras .h5/.keras file, ONNX .onnx file (frozen: head only), or a run dir', 'mobilenet_v2'))
    .option('--input-size <px>', 'square input size for resizable bases, e.g. 96 (default: the base\'s training size, 96 for mobilenet_v2)', intArg('--input-size', 8))
    .option('--cut <layer>', 'layer to cut the base at, or a tensor name for an .onnx base (default: the base\'s own; for .onnx, the input of the pooling before the classifier); earlier cuts suit far-from-ImageNet data')
    .addOption(new Option('--preprocess <mode>', 'pixel preprocessing for a bring-your-own base (default: the base\'s own, tf for a model.json, torch for an NCHW .onnx, tf for an NHWC one)').choices(PREPROCESS))
    .option('--head <spec>', dflt(HEAD_SYNTAX, headDefault()), parseHead)
    .option('--epochs <n>', dflt('phase 1 epochs (head only, base frozen)', d.phase1.epochs), intArg('--epochs'))
    .option('--fine-tune-epochs <n>', dflt('phase 2 epochs (fine-tune; 0 skips phase 2)', d.phase2.epochs), intArg('--fine-tune-epochs'))
    .option('--unfreeze <policy>', dflt('phase 2 unfreeze policy: top:N | from:<layer> | all | none', unfreezeDefault()), parseUnfreezeFlag)
    .option('--lr <rate>', dflt('phase 1 learning rate', d.phase1.learningRate), numArg('--lr', Number.MIN_VALUE, 10, true))
    .option('--fine-tune-lr <rate>', dflt('phase 2 learning rate (Keras guide)', d.phase2.learningRate), numArg('--fine-tune-lr', Number.MIN_VALUE, 10, true))
    .option('--batch-size <n>', dflt('batch size of both phases', d.phase1.batchSize), intArg('--batch-size', 1))
    .option('--patience <n>', dflt('early-stopping patience in epochs (both phases)', `${DEFAULT_EARLY_STOPPING_PATIENCE} in phase 1, ${d.phase2.earlyStopping.patience} in phase 2`), intArg('--patience'))
    .option('--fixed-epochs', 'train every epoch: no early stopping or learning-rate reduction (tiny validation splits are too noisy to judge)')
    .option('--standardize', "standardise the base's features per channel in the head (statistics measured on the training images); helps cuts inside the base")
    .option('--augment <spec>', dflt(AUGMENT_SYNTAX, 'none'), parseAugment)
    .addOption(new Option('--class-weights <mode>', dflt('class weights against imbalance', d.classWeights)).choices(['auto', 'none']))
    .option('--seed <n>', dflt('random seed (split, init, augmentation)', d.seed), intArg('--seed'))
    .option('--backend <name>', dflt(`training backend: ${BACKENDS.join(' | ')}`, 'auto'), choiceArg('--backend', BACKENDS))
    .option('--threads <n>', 'training threads on the wasm/cpu backends, each taking a share of every batch (default 1; 2 uses both cores of a 2-core machine)', intArg('--threads', 1))
    .option('--val-split <fraction>', dflt('validation fraction when the data has no val split', d.valSplit), numArg('--val-split', 0, 1))
    .option('--test-split <fraction>', dflt('test fraction when the data has no test split', d.testSplit), numArg('--test-split', 0, 1))
    .addOption(new Option('--mode <mode>', dflt('transfer (pretrained base) or scratch (same CNN from random init)', d.mode)).choices(['transfer', 'scratch']))
    .addOption(
      new Option('--recipe <recipe>', 'measured: probe the base on your training images and train what the measurement favours (each strategy flag overrides only its own decision); keras: the fixed recipe, nothing measured (the defaults shown above are that recipe\'s; measured decides them from your data)')
        .choices(['measured', 'keras'])
        .default('measured'),
    )
    .option('--unknown-below <p>', 'every surface answers "unknown" when the top probability is below p (stored in headstart.json and model.onnx); default: never', probabilityArg('--unknown-below'))
    .option('--unknown-precision <p>', 'choose the "unknown" threshold on the held-out images so the labels given are right this often, e.g. 0.95', probabilityArg('--unknown-precision'))
    .option('--max-images <n>', 'use at most N training images (quick trials; default: all)', intArg('--max-images', 1))
    .option('--queue <url>', 'compute the cached features on `headstart worker`s through Redis, e.g. redis://127.0.0.1:6379 (default: here)')
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--overwrite', 'replace the run in --out: its model, ONNX exports and reports are removed before training')
    .option('--no-export', 'skip exporting model.onnx into the run folder at the end (exported by default)')
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
  if (f.unknownBelow !== undefined && f.unknownPrecision !== undefined) throw new HeadstartError('USAGE', '--unknown-below and --unknown-precision both set the "unknown" threshold: give one');
  const fixed = f.fixedEpochs === true;
  const p1 = phase(f.epochs, f.lr, f.batchSize, f.patience, fixed);
  const p2 = { ...phase(f.fineTuneEpochs, f.fineTuneLr, f.batchSize, f.patience, fixed), ...(f.unfreeze ? { unfreeze: f.unfreeze } : {}) };
  if (Object.keys(p1).length > 0) schedule.phase1 = p1;
  if (Object.keys(p2).length > 0) schedule.phase2 = p2;
  if (f.mode) schedule.mode = f.mode;
  if (f.augment?.augment !== undefined) schedule.augment = f.augment.augment;
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
    ...(f.unknownBelow !== undefined ? { unknownBelow: f.unknownBelow } : {}),
    ...(f.unknownPrecision !== undefined ? { unknownPrecision: f.unknownPrecision } : {}),
    ...(f.resume ? {} : { recipe: f.recipe ?? 'measured' }),
    ...(f.resume ? { resume: true } : {}),
    ...(f.overwrite ? { overwrite: true } : {}),
    ...(f.maxImages !== undefined ? { maxImages: f.maxImages } : {}),
  };
}
