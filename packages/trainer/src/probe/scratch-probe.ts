/**
 * Transfer vs scratch, measured: the scratch CNN (`--mode scratch`, its default size and head)
 * trained for a short fixed budget on two thirds of the advisor's probe sample and tested on the
 * other third, against the chosen transfer probe (ridge on the same standardised base features)
 * trained and tested on exactly the same images. Scratch wins only when it is right significantly
 * more often on those images (a paired sign test), since a head on frozen features is the cheaper
 * and, on most data, the better start.
 */
import { createRng, preprocessSpecFor, resizeRgb, type ScheduleSpec } from '@headstart/core';
import type { ImageSplit } from '../data/prepare.ts';
import { ImageSource } from '../data/sources.ts';
import { buildClassifier, buildScratchCnn, SCRATCH_HEAD, SCRATCH_SIZE } from '../model/build.ts';
import { stepWorkers } from '../parallel/threads.ts';
import { tfc } from '../tf.ts';
import { evaluateSource, fitPhase } from '../train/fit-loop.ts';
import { resolveSchedule } from '../train/schedule.ts';
import { channelMoments } from '../train/standardize.ts';
import { PROBE_RIDGE, standardizePool, stratifiedFolds, type FeatureBlock, type ProbePooling } from './cross-validate.ts';
import { argmax, gram, ridgeScores } from './ridge.ts';

/** At most this many probe-sample images take part (bounds the scratch fit's cost: one fit of SCRATCH_PROBE_EPOCHS on two thirds of them). */
export const SCRATCH_PROBE_IMAGES = 120;
/** Epochs of the scratch probe's fixed budget (scratch runs with early stopping at 10 images per class kept epoch 6–8 in the defaults benchmark's baseline). */
export const SCRATCH_PROBE_EPOCHS = 8;
/** Scratch is chosen when (scratch-only right − transfer-only right) ≥ this × √(discordant images): a two-sided sign test at about 5 %. */
export const SCRATCH_WIN_Z = 2;

/** The paired sign test: scratch wins when it is right on significantly more of the images where the two disagree. */
export function scratchWins(scratchOnly: number, transferOnly: number): boolean {
  return scratchOnly > transferOnly && scratchOnly - transferOnly >= SCRATCH_WIN_Z * Math.sqrt(scratchOnly + transferOnly);
}

/** The measured comparison of the scratch CNN and the transfer probe on the same held-out images. */
export interface ScratchProbe {
  /** Input size the scratch CNN was measured at (the scratch default). */
  size: number;
  trainImages: number;
  heldOut: number;
  epochs: number;
  /** Held-out accuracy of the scratch CNN and of the transfer probe. */
  scratch: number;
  transfer: number;
  /** Held-out images only scratch got right, and only the transfer probe. */
  scratchOnly: number;
  transferOnly: number;
  /** True when scratch is significantly better (see SCRATCH_WIN_Z). */
  wins: boolean;
  seconds: number;
}

/** Inputs of `measureScratch`: the probe sample (decoded at the base's size) and its chosen transfer features. */
export interface ScratchProbeInput {
  sample: ImageSplit;
  /** Side of the sample's square images. */
  sampleSize: [number, number];
  /** Base features of the sample at the chosen cut, and the chosen pooling. */
  block: FeatureBlock;
  pooling: ProbePooling;
  classes: number;
  epsilon: number;
  seed: number;
}

/** Rows `idx` of a feature block. */
function rows(block: FeatureBlock, idx: number[]): FeatureBlock {
  const per = block.shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(idx.length * per);
  idx.forEach((i, r) => data.set(block.data.subarray(i * per, (i + 1) * per), r * per));
  return { data, shape: block.shape };
}

/** Per-image correctness of the ridge probe trained on `train`, tested on `test` (indices into `block`). */
function transferCorrect(block: FeatureBlock, labels: Int32Array, train: number[], test: number[], o: ScratchProbeInput): boolean[] {
  const channels = block.shape[block.shape.length - 1] ?? 1;
  const x = standardizePool(block, channelMoments(block.data, channels), o.pooling, o.epsilon);
  const n = labels.length;
  const k = gram(x, n, x.length / n);
  const scores = ridgeScores(k, n, labels, o.classes, train, test, PROBE_RIDGE);
  return test.map((i, r) => argmax(scores, r, o.classes) === labels[i]);
}

/** Per-image correctness of the scratch CNN trained for the fixed budget on `train`, tested on `test`. */
async function scratchCorrect(pixels: Uint8Array[], labels: Int32Array, train: number[], test: number[], o: ScratchProbeInput): Promise<boolean[]> {
  const size: [number, number] = [SCRATCH_SIZE, SCRATCH_SIZE];
  const spec = preprocessSpecFor('tf', size);
  const rng = createRng(o.seed).fork(41);
  const model = buildClassifier(buildScratchCnn(size, rng.fork(2)), SCRATCH_HEAD, o.classes, rng.fork(1));
  try {
    const schedule: ScheduleSpec = resolveSchedule({ mode: 'scratch', phase1: { epochs: SCRATCH_PROBE_EPOCHS, earlyStopping: false, reduceOnPlateau: false } });
    const pick = (idx: number[]): ImageSource => new ImageSource(idx.map((i) => pixels[i] as Uint8Array), Int32Array.from(idx, (i) => labels[i] as number), spec);
    // Step workers as in a scratch run (wasm/cpu: one per extra core).
    const backend = tfc.getBackend();
    const workers = backend === 'wasm' || backend === 'cpu' ? stepWorkers(backend) : {};
    await fitPhase({ phase: 'scratch', model, spec: schedule.phase1, train: pick(train), classes: o.classes, rng: rng.fork(13), onEvent: () => undefined, checkpoint: async () => undefined, ...workers });
    const held = pick(test);
    const { probs } = evaluateSource(model, held, o.classes);
    return test.map((_, r) => {
      let best = 0;
      for (let c = 1; c < o.classes; c++) if (probs[r * o.classes + c]! > probs[r * o.classes + best]!) best = c;
      return best === held.labels[r];
    });
  } finally {
    model.dispose();
  }
}

/**
 * Measures scratch against transfer on the same held-out third of (at most SCRATCH_PROBE_IMAGES
 * of) the probe sample; undefined when some class has fewer than 3 images there (no stratified
 * third to hold out).
 */
export async function measureScratch(o: ScratchProbeInput): Promise<ScratchProbe | undefined> {
  const t0 = performance.now();
  const all = Array.from(o.sample.labels, (_, i) => i);
  const idx = all.length <= SCRATCH_PROBE_IMAGES ? all : createRng(o.seed).fork(43).shuffle(all).slice(0, SCRATCH_PROBE_IMAGES).sort((a, b) => a - b);
  const labels = Int32Array.from(idx, (i) => o.sample.labels[i] as number);
  const counts = new Array<number>(o.classes).fill(0);
  labels.forEach((l) => (counts[l] = (counts[l] ?? 0) + 1));
  if (Math.min(...counts) < 3) return undefined;
  const folds = stratifiedFolds(labels, 3, createRng(o.seed).fork(47));
  const train: number[] = [];
  const test: number[] = [];
  folds.forEach((f, i) => (f === 0 ? test : train).push(i));
  const pixels = idx.map((i) => resizeRgb(o.sample.pixels[i] as Uint8Array, o.sampleSize, [SCRATCH_SIZE, SCRATCH_SIZE], 'cover'));
  const s = await scratchCorrect(pixels, labels, train, test, o);
  const t = transferCorrect(rows(o.block, idx), labels, train, test, o);
  const scratchOnly = s.filter((ok, r) => ok && !t[r]).length;
  const transferOnly = t.filter((ok, r) => ok && !s[r]).length;
  const acc = (xs: boolean[]): number => xs.filter(Boolean).length / Math.max(1, xs.length);
  return {
    size: SCRATCH_SIZE,
    trainImages: train.length,
    heldOut: test.length,
    epochs: SCRATCH_PROBE_EPOCHS,
    scratch: acc(s),
    transfer: acc(t),
    scratchOnly,
    transferOnly,
    wins: scratchWins(scratchOnly, transferOnly),
    seconds: (performance.now() - t0) / 1000,
  };
}
