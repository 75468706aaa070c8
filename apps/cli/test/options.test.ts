import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { parseAugment, parseHead, parseUnfreezeFlag } from '../src/options/specs.ts';
import { resolveSchedule } from '@headstart/trainer/defaults';
import { addTrainFlags, toTrainOptions, type TrainFlags } from '../src/options/train-flags.ts';

describe('--head', () => {
  it('parses pooling, dense blocks and logistic', () => {
    expect(parseHead('avg')).toEqual({ kind: 'dense', pooling: 'avg', blocks: [] });
    expect(parseHead('avg:256:0.5')).toEqual({ kind: 'dense', pooling: 'avg', blocks: [{ units: 256, dropout: 0.5 }] });
    expect(parseHead('max:512:0.3,128')).toEqual({ kind: 'dense', pooling: 'max', blocks: [{ units: 512, dropout: 0.3 }, { units: 128 }] });
    expect(parseHead('logistic')).toEqual({ kind: 'logistic' });
    expect(parseHead('logistic:max:l2=0.01')).toEqual({ kind: 'logistic', pooling: 'max', l2: 0.01 });
  });
  it('rejects bad specs with a message naming the value', () => {
    expect(() => parseHead('mean')).toThrow(/--head "mean": pooling "mean"/);
    expect(() => parseHead('avg:abc')).toThrow(/"abc" is not a number/);
    expect(() => parseHead('avg:64:1.5')).toThrow(/dropout/);
    expect(() => parseHead('logisticx')).toThrow(/--head/);
  });
});

describe('--augment', () => {
  it('parses presets and comma lists', () => {
    expect(parseAugment('flip,rotate=15,zoom=0.1')).toEqual({ augment: { horizontalFlip: true, rotation: 15, zoom: 0.1 } });
    // Explicitly off (null), so a measured plan's advisor cannot turn augmentation on.
    expect(parseAugment('none')).toEqual({ augment: null });
    expect(resolveSchedule({ augment: { horizontalFlip: true } }, toTrainOptions('d', { out: 'o', augment: parseAugment('none') } as TrainFlags).schedule).augment).toBeNull();
    expect(parseAugment('light,passes=2').passes).toBe(2);
    expect(parseAugment('brightness=0.2').augment?.brightness).toEqual([0.8, 1.2]);
    expect(parseAugment('brightness=0.5-1.5,crop=0.6').augment).toEqual({ brightness: [0.5, 1.5], randomResizedCrop: { scale: [0.6, 1], ratio: [0.75, 4 / 3] } });
  });
  it('rejects unknown items and out-of-range values', () => {
    expect(() => parseAugment('flip,blur=3')).toThrow(/unknown item "blur=3"/);
    expect(() => parseAugment('rotate=400')).toThrow(/rotation/);
  });
});

describe('--unfreeze', () => {
  it('parses the four policies', () => {
    expect(parseUnfreezeFlag('top:20')).toEqual({ kind: 'top', n: 20 });
    expect(parseUnfreezeFlag('from:block_12_add')).toEqual({ kind: 'from', layer: 'block_12_add' });
    expect(parseUnfreezeFlag('all')).toEqual({ kind: 'all' });
    expect(parseUnfreezeFlag('none')).toEqual({ kind: 'none' });
    expect(() => parseUnfreezeFlag('top:-1')).toThrow(/--unfreeze/);
    expect(() => parseUnfreezeFlag('bottom')).toThrow(/--unfreeze "bottom": expected 'top:N'/);
  });
});

describe('train flags → TrainOptions', () => {
  const parse = (args: string[]) => {
    const cmd = addTrainFlags(new Command('train').argument('<data>').exitOverride().configureOutput({ writeErr: () => undefined }));
    let got: ReturnType<typeof toTrainOptions> | undefined;
    cmd.action((data: string, flags: TrainFlags) => {
      got = toTrainOptions(data, flags);
    });
    cmd.parse(args, { from: 'user' });
    return got;
  };
  it('sets only what was given', () => {
    // No strategy flag: the measured recipe decides everything.
    expect(parse(['d', '--out', 'runs/x'])).toEqual({ data: 'd', out: 'runs/x', recipe: 'measured' });
    expect(parse(['d', '--out', 'runs/x', '--recipe', 'keras'])).toEqual({ data: 'd', out: 'runs/x', recipe: 'keras' });
  });
  it('maps every schedule flag', () => {
    const o = parse(['d', '-o', 'r', '--base', 'mobilenet_v2', '--input-size', '96', '--cut', 'block_12_add', '--head', 'avg:64',
      '--epochs', '5', '--fine-tune-epochs', '2', '--unfreeze', 'top:10', '--lr', '0.001', '--fine-tune-lr', '1e-5',
      '--batch-size', '16', '--patience', '2', '--augment', 'flip', '--seed', '7', '--val-split', '0.25', '--mode', 'transfer',
      '--backend', 'wasm', '--resume', '--max-images', '100']);
    expect(o).toEqual({
      data: 'd', out: 'r', base: 'mobilenet_v2', inputSize: 96, cut: 'block_12_add',
      head: { kind: 'dense', pooling: 'avg', blocks: [{ units: 64 }] },
      schedule: {
        phase1: { epochs: 5, learningRate: 0.001, batchSize: 16, earlyStopping: { patience: 2 } },
        phase2: { epochs: 2, learningRate: 1e-5, batchSize: 16, earlyStopping: { patience: 2 }, unfreeze: { kind: 'top', n: 10 } },
        mode: 'transfer', augment: { horizontalFlip: true }, seed: 7, valSplit: 0.25,
      },
      backend: 'wasm', resume: true, maxImages: 100,
    });
  });
  it('--standardize adds standardisation to the head; --fixed-epochs switches early stopping and plateau reduction off', () => {
    expect(parse(['d', '-o', 'r', '--standardize', '--fixed-epochs', '--epochs', '50'])).toEqual({
      data: 'd', out: 'r', recipe: 'measured',
      head: { kind: 'dense', standardize: true },
      schedule: { phase1: { epochs: 50, earlyStopping: false, reduceOnPlateau: false }, phase2: { earlyStopping: false, reduceOnPlateau: false } },
    });
    expect(parse(['d', '-o', 'r', '--head', 'flatten', '--standardize'])?.head).toEqual({ kind: 'dense', pooling: 'flatten', blocks: [], standardize: true });
    expect(() => parse(['d', '-o', 'r', '--fixed-epochs', '--patience', '3'])).toThrow(/--fixed-epochs and --patience contradict/);
  });
  it('rejects bad numbers and choices as usage errors', () => {
    expect(() => parse(['d', '-o', 'r', '--epochs', 'two'])).toThrow(/--epochs "two"/);
    expect(() => parse(['d', '-o', 'r', '--val-split', '1'])).toThrow(/--val-split/);
    expect(() => parse(['d', '-o', 'r', '--backend', 'tpu'])).toThrow(/--backend "tpu"/);
    expect(() => parse(['d'])).toThrow(/--out/);
  });
});
