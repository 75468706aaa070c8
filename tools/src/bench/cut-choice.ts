/**
 * How well does the advisor's rule choose the cut and pooling on tiny data? For many DEVELOPMENT
 * draws of Fashion-MNIST (seeds the defaults benchmark never uses), it prepares the training split
 * exactly as plain `train` does, measures every candidate (cut × avg/flatten) with the advisor's
 * repeated-CV ridge probes on the same sample, and scores each candidate by the TEST accuracy of a
 * ridge probe trained on the whole training split (a cheap proxy for the trained head) on images
 * drawn from the test file. Each selection rule then picks one candidate per draw; the report gives
 * each rule's mean and median test accuracy, its loss against the best candidate in hindsight, and
 * how often it picks each candidate. Features and per-draw measurements are cached (`--cache`).
 *
 * Usage: nice -n 10 node --import tsx tools/src/bench/cut-choice.ts [--k 5,10,20,50] [--seeds 101-120]
 *          [--large-seeds 101-108] [--test-per-class 100] [--cache DIR] [--quick] [--md FILE]
 * (--large-seeds: the draws for k ≥ LARGE_K, each several times the cost of a small one.)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createRng, FASHION_MNIST_LABELS } from '@headstart/core';
import {
  argmax,
  channelMoments,
  crossGramTf,
  crossValidateOutcomes,
  DEFAULT_PROBE_SAMPLE,
  DEFAULT_SIZE,
  features,
  findBase,
  loadBase,
  MAX_FLATTEN_DIM,
  MAX_FOLDS,
  pooledDim,
  prepareData,
  PROBE_REPEATS,
  PROBE_RIDGE,
  ridgeScores,
  sampleSplit,
  selectBackend,
  standardizePool,
  stratifiedFolds,
  type FeatureBlock,
  type ImageSplit,
  type LoadedBase,
  type ProbePooling,
} from '@headstart/trainer';
import { parseIntList } from './bench-kit.ts';
import { report, smoothStats, type Candidate, type Draw } from './cut-choice-rules.ts';
import { describeMachine, formatLoad, machineLine } from './machine.ts';
import { materialize } from '../fashion-mnist/fashion-mnist.ts';
import { fashionFolder } from './timed-train.ts';

/** Seed `train` uses when none is given (the schedule default). */
const TRAIN_SEED = 42;
const VAL_SPLIT = 0.2;
/** Training images per class from which `train` holds out a test split (core's TINY_PER_CLASS), and how much. */
const HOLDOUT_FROM = 20;
const HOLDOUT = 0.1;
const STANDARDIZE_EPSILON = 1e-3;
/** From this many images per class on, draws use --large-seeds. */
const LARGE_K = 50;

/** Rows `idx` of a feature block. */
function rows(block: FeatureBlock, idx: readonly number[]): FeatureBlock {
  const per = block.shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(idx.length * per);
  idx.forEach((i, r) => data.set(block.data.subarray(i * per, (i + 1) * per), r * per));
  return { data, shape: block.shape };
}

/** Test accuracy of the ridge probe trained on all of `train` (standardised with its statistics), scored on `test`. */
export function probeTest(train: FeatureBlock, trainLabels: Int32Array, test: FeatureBlock, testLabels: Int32Array, pooling: ProbePooling, classes: number): number {
  const channels = train.shape[train.shape.length - 1] ?? 1;
  const stats = channelMoments(train.data, channels);
  const a = standardizePool(train, stats, pooling, STANDARDIZE_EPSILON);
  const b = standardizePool(test, stats, pooling, STANDARDIZE_EPSILON);
  const n = trainLabels.length;
  const t = testLabels.length;
  const d = a.length / n;
  const kaa = crossGramTf(a, n, a, n, d);
  const kba = crossGramTf(b, t, a, n, d);
  // The full kernel over train + test rows; the test × test block is never read by ridgeScores.
  const all = n + t;
  const k = new Float64Array(all * all);
  for (let i = 0; i < n; i++) k.set(kaa.subarray(i * n, (i + 1) * n), i * all);
  for (let i = 0; i < t; i++) k.set(kba.subarray(i * n, (i + 1) * n), (n + i) * all);
  const labels = Int32Array.from([...trainLabels, ...testLabels]);
  const trainIdx = Array.from({ length: n }, (_, i) => i);
  const testIdx = Array.from({ length: t }, (_, i) => n + i);
  const scores = ridgeScores(k, all, labels, classes, trainIdx, testIdx, PROBE_RIDGE);
  return testIdx.filter((i, r) => argmax(scores, r, classes) === labels[i]).length / t;
}

function saveBlocks(path: string, blocks: FeatureBlock[]): void {
  const meta = blocks.map((b) => ({ shape: b.shape, length: b.data.length }));
  const bytes = Buffer.concat(blocks.map((b) => Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength)));
  writeFileSync(`${path}.json`, JSON.stringify(meta));
  writeFileSync(`${path}.bin`, bytes);
}

function loadBlocks(path: string): FeatureBlock[] | undefined {
  if (!existsSync(`${path}.json`) || !existsSync(`${path}.bin`)) return undefined;
  const meta = JSON.parse(readFileSync(`${path}.json`, 'utf8')) as { shape: number[]; length: number }[];
  const buf = readFileSync(`${path}.bin`);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  let off = 0;
  return meta.map((m) => {
    const data = all.slice(off, off + m.length);
    off += m.length;
    return { data, shape: m.shape };
  });
}

async function cachedFeatures(base: LoadedBase, cuts: string[], split: ImageSplit, path: string): Promise<FeatureBlock[]> {
  const hit = loadBlocks(path);
  if (hit) return hit;
  const blocks = await features(base, cuts, split);
  saveBlocks(path, blocks);
  return blocks;
}

/** Measures one draw (cached as JSON under `cache`). */
async function measureDraw(base: LoadedBase, cuts: string[], test: { blocks: FeatureBlock[]; labels: Int32Array }, k: number, seed: number, root: string, cache: string): Promise<Draw> {
  const file = join(cache, `draw2-k${k}-s${seed}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Draw;
  const classes = FASHION_MNIST_LABELS.map((_, i) => i);
  const dir = await fashionFolder({ root, k, testPerClass: 0, classes, seed });
  const perClass = k * (1 - VAL_SPLIT);
  const data = await prepareData(dir, { size: base.inputSize, resize: 'cover', valSplit: VAL_SPLIT, testSplit: perClass >= HOLDOUT_FROM ? HOLDOUT : 0, seed: TRAIN_SEED, skipCheck: true });
  const train = data.train;
  const blocks = await cachedFeatures(base, cuts, train, join(cache, `feat-k${k}-s${seed}`));
  const sample = sampleSplit(train, DEFAULT_PROBE_SAMPLE, TRAIN_SEED);
  const where = new Map(train.paths.map((p, i) => [p, i]));
  const sampleIdx = sample.paths.map((p) => where.get(p) as number);
  const nClasses = data.labels.length;
  const counts = new Array<number>(nClasses).fill(0);
  sample.labels.forEach((l) => (counts[l] = (counts[l] ?? 0) + 1));
  const folds = Math.min(MAX_FOLDS, ...counts);
  const cv = { folds: Array.from({ length: PROBE_REPEATS }, (_, r) => stratifiedFolds(sample.labels, folds, createRng(TRAIN_SEED).fork(3 + r))), k: folds, classes: nClasses, epsilon: STANDARDIZE_EPSILON };
  const candidates: Candidate[] = [];
  cuts.forEach((cut, i) => {
    const block = blocks[i] as FeatureBlock;
    for (const pooling of ['avg', 'flatten'] as const) {
      const dim = pooledDim(block.shape, pooling);
      if (pooling === 'flatten' && (block.shape.length !== 3 || dim > MAX_FLATTEN_DIM)) continue;
      const o = crossValidateOutcomes(rows(block, sampleIdx), sample.labels, { ...cv, pooling });
      const extra = smoothStats(o.scores, sample.labels, nClasses);
      const r5 = (xs: ArrayLike<number>): number[] => Array.from(xs, (x) => Number(x.toFixed(5)));
      candidates.push({
        cut,
        pooling,
        dim,
        order: candidates.length,
        cvAccuracy: o.accuracy,
        perImage: Array.from(o.perImage),
        sqError: r5(o.perImageSqError),
        margin: r5(extra.margin),
        nll: r5(extra.nll),
        scaledSq: r5(extra.scaledSq),
        test: probeTest(block, train.labels, test.blocks[i] as FeatureBlock, test.labels, pooling, nClasses),
      });
    }
  });
  const draw: Draw = { k, seed, trainImages: train.labels.length, sampleImages: sample.labels.length, candidates };
  writeFileSync(file, JSON.stringify(draw));
  return draw;
}


function parseSeeds(text: string): number[] {
  const m = /^(\d+)-(\d+)$/.exec(text);
  if (m) return Array.from({ length: Number(m[2]) - Number(m[1]) + 1 }, (_, i) => Number(m[1]) + i);
  return parseIntList(text, '--seeds');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      k: { type: 'string', default: '5,10,20,50' },
      seeds: { type: 'string', default: '101-120' },
      'large-seeds': { type: 'string', default: '101-108' },
      'test-per-class': { type: 'string', default: '100' },
      cache: { type: 'string', default: join(tmpdir(), 'headstart-cut-choice') },
      quick: { type: 'boolean', default: false },
      md: { type: 'string' },
    },
  });
  const ks = values.quick ? [10] : parseIntList(values.k, '--k');
  const seeds = values.quick ? [101, 102] : parseSeeds(values.seeds as string);
  const largeSeeds = values.quick ? seeds : parseSeeds(values['large-seeds'] as string);
  if ([...seeds, ...largeSeeds].some((s) => s <= 3)) throw new RangeError('--seeds: 1–3 are the defaults benchmark draws; use development seeds (e.g. 101-130)');
  const testPerClass = values.quick ? 20 : Number(values['test-per-class']);
  const cache = join(values.cache as string, `t${testPerClass}`);
  mkdirSync(cache, { recursive: true });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const load0 = loadavg();
  await selectBackend('auto');
  const baseId = 'mobilenet_v2';
  const base = await loadBase(baseId, { inputSize: DEFAULT_SIZE[baseId] as number });
  const cuts = (findBase(baseId)?.probeCuts ?? [base.cut]).filter((c) => c === base.cut || base.layers.some((l) => l.name === c));
  const root = join(values.cache as string, 'folders');
  // One test set for every draw (from the TEST file, a development seed), so rules are compared on the same images.
  const testDir = join(root, `test-${testPerClass}`);
  if (!existsSync(join(testDir, '.complete'))) {
    await materialize({ out: testDir, perClass: testPerClass, seed: 9001, split: 'test' });
    writeFileSync(join(testDir, '.complete'), '');
  }
  const testData = await prepareData(testDir, { size: base.inputSize, resize: 'cover', valSplit: 0, testSplit: 0, seed: TRAIN_SEED, skipCheck: true });
  const test = { blocks: await cachedFeatures(base, cuts, testData.train, join(cache, 'feat-test')), labels: testData.train.labels };
  const draws: Draw[] = [];
  for (const k of ks) {
    for (const seed of k >= LARGE_K ? largeSeeds : seeds) {
      draws.push(await measureDraw(base, cuts, test, k, seed, root, cache));
      process.stderr.write(`k=${k} seed=${seed} done (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
    }
  }
  base.model.dispose();
  const cpu = process.cpuUsage(cpu0);
  const md = [
    `Development draws: seeds ${seeds[0]}–${seeds[seeds.length - 1]}${ks.some((k) => k >= LARGE_K) ? ` (${largeSeeds[0]}–${largeSeeds[largeSeeds.length - 1]} from k = ${LARGE_K})` : ''} (never the defaults benchmark's 1–3), k ∈ {${ks.join(', ')}} training images per class of all 10 classes, split as plain \`train\` splits them (20 % validation; 10 % test held out from 20 images per class up); one test set of ${testPerClass} images per class from the test file. Test accuracy is that of a ridge probe (the advisor's own, standardised) trained on the whole training split at the rule's pick: a proxy for the trained head.`,
    '',
    report(draws, ks),
    `Wall ${((performance.now() - t0) / 1000).toFixed(0)} s, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s (features and draws cached under ${values.cache}; a rerun costs only the rules); load ${formatLoad(load0)} before, ${formatLoad(loadavg())} after.`,
    '',
    machineLine(describeMachine()),
  ].join('\n');
  if (values.md) writeFileSync(values.md, `${md}\n`);
  process.stdout.write(`${md}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
