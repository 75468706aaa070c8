/**
 * `adviseForDataset`: measures, then advises. Linear (ridge) probes, cross-validated on a sample of the
 * training images, score the base's features at several cuts with avg or flatten pooling (the
 * head's own standardisation applied) and with or without augmentation; the dataset's size and
 * the default cut's score (similarity to the source domain) pick core's four-case schedule.
 */
import { adviseStrategy, createRng, HeadstartError, preprocessSpecFor, type EventSink, type HeadSpec, type StrategyAdvice } from '@headstart/core';
import { augment as coreAugment, AugmentSpecSchema } from '@headstart/core';
import { selectBackend, type BackendName } from './backend/select-backend.ts';
import { findBase } from './bases/catalogue.ts';
import { loadBase, type LoadedBase } from './bases/load-base.ts';
import { prepareData, type ImageSplit } from './data/prepare.ts';
import { extract, ImageSource } from './data/sources.ts';
import { STANDARDIZE_EPSILON } from './model/head.ts';
import { pct } from './format.ts';
import { crossValidate, crossValidateOutcomes, pooledDim, stratifiedFolds, type CrossValidateOptions, type FeatureBlock } from './probe/cross-validate.ts';
import { pickProbe, probeReason, withExcess, type ProbeResult } from './probe/pick.ts';
import { measureScratch, type ScratchProbe } from './probe/scratch-probe.ts';
import { resolveFeatureEngine } from './train/feature-engine.ts';
import { releaseImageStage } from './train/image-stage.ts';
import { tfc, type SymbolicTensor } from './tf.ts';

/** Options of `adviseForDataset`. */
export interface AdviseOptions {
  base?: string;
  inputSize?: number;
  /** Images used for the probes (default 300). */
  sampleSize?: number;
  /** Layers to probe as cuts, in preference order (default: the catalogue's `probeCuts`, or the base's own cut). */
  cuts?: string[];
  valSplit?: number;
  testSplit?: number;
  seed?: number;
  backend?: BackendName | 'auto';
  onEvent?: EventSink;
  /** Where downloaded bases are cached, and the mirror replacing their host (as in `train`). */
  cacheDir?: string;
  modelMirror?: string;
  /** Also measure the scratch CNN against transfer (default true). */
  scratch?: boolean;
}

/** The advisor's proposal plus the evidence it was based on. */
export interface Advice extends StrategyAdvice {
  base: string;
  trainCount: number;
  classes: number;
  /** Cross-validated accuracy of the probe at the base's default cut with average pooling (else the first probed). */
  probeAccuracy: number;
  /** probeAccuracy normalised against chance: (acc − 1/C) / (1 − 1/C), clipped to [0, 1]. */
  similarity: number;
  probeImages: number;
  /** Folds of the cross-validation. */
  probeFolds: number;
  /** Every configuration measured, in preference order (default cut first, avg before flatten). */
  probes: ProbeResult[];
  /** The chosen cut layer when it is not the base's default (pass as `--cut`). */
  cutLayer?: string;
  /** The recommended head (pass as `--head` + `--standardize`). */
  head: HeadSpec;
  /** Probe accuracy of the chosen configuration without and with one augmented pass (when augmentation was proposed). */
  augmentProbe?: { without: number; with: number };
  /** The scratch CNN against the chosen transfer probe on the same held-out images (when measured). */
  scratchProbe?: ScratchProbe;
}

/** Flatten candidates wider than this are not probed (a head on them would overfit and cache poorly). */
export const MAX_FLATTEN_DIM = 16384;
/** At most this many folds; fewer when the rarest class has fewer sample images. */
export const MAX_FOLDS = 5;
/** Repetitions of the k-fold split (different shuffles): one split of a few dozen images is too noisy to rank cuts by. */
export const PROBE_REPEATS = 3;
/** Input size used when none is given (small enough for a 2-core CPU): the one definition, shared with `train`. */
export const DEFAULT_SIZE: Record<string, number> = { mobilenet_v2: 96, inception_v3: 139 };
/** Training images the probes cross-validate on when no sample size is given. */
export const DEFAULT_PROBE_SAMPLE = 300;

/** Runs the base up to each layer in `cuts` over `split` (optionally augmented); one FeatureBlock per cut. */
export async function features(base: LoadedBase, cuts: string[], split: ImageSplit, augmentFn?: (px: Uint8Array, h: number, w: number, rng: ReturnType<typeof createRng>) => Uint8Array, seed = 0): Promise<FeatureBlock[]> {
  const spec = preprocessSpecFor(base.preprocess, base.inputSize);
  // The base's own cut is its output (for an ONNX base, a layer of another graph).
  const outputs = cuts.map((c) => (c === base.cut ? base.model.outputs[0] : base.model.getLayer(c).output) as SymbolicTensor);
  const engine = await resolveFeatureEngine(base.model, outputs, 'auto');
  try {
    const src = new ImageSource(split.pixels, split.labels, spec, augmentFn);
    const r = await extract(src, engine.run, augmentFn ? { rng: createRng(seed).fork(77) } : {});
    return r.data.map((data, i) => ({ data, shape: r.shapes[i] as number[] }));
  } finally {
    await engine.dispose();
  }
}

/** Cross-validated probe accuracy and squared error (with its paired excess over the lowest) of every cut × pooling (flatten only for spatial blocks up to MAX_FLATTEN_DIM), in preference order. */
export function measureProbes(cuts: string[], blocks: FeatureBlock[], labels: Int32Array, cv: Omit<CrossValidateOptions, 'pooling'>): ProbeResult[] {
  const probes: (Omit<ProbeResult, 'excess' | 'excessSe'> & { perImageSqError: Float64Array })[] = [];
  cuts.forEach((cut, i) => {
    const block = blocks[i] as FeatureBlock;
    for (const pooling of ['avg', 'flatten'] as const) {
      const dim = pooledDim(block.shape, pooling);
      if (pooling === 'flatten' && (block.shape.length !== 3 || dim > MAX_FLATTEN_DIM)) continue;
      const o = crossValidateOutcomes(block, labels, { ...cv, pooling });
      probes.push({ cut, pooling, dim, accuracy: o.accuracy, sqError: o.sqError, perImageSqError: o.perImageSqError });
    }
  });
  return withExcess(probes);
}

/** Options of `measureBase`: the measurement itself, on images already decoded at the base's size. */
export interface MeasureOptions {
  baseId: string;
  /** Training images after the split (the count the schedule is sized for). */
  trainCount: number;
  classes: number;
  cuts?: string[];
  seed: number;
  dataLabel: string;
  /** Also measure the scratch CNN against transfer (`measureScratch`); default true. */
  scratch?: boolean;
}

/** A stratified-by-shuffle sample of at most `n` images of `split` (all of them when fewer). */
export function sampleSplit(split: ImageSplit, n: number, seed: number): ImageSplit {
  if (split.labels.length <= n) return split;
  const idx = createRng(seed).fork(9).shuffle(Array.from(split.labels, (_, i) => i)).slice(0, n).sort((a, b) => a - b);
  return { pixels: idx.map((i) => split.pixels[i] as Uint8Array), labels: Int32Array.from(idx, (i) => split.labels[i] as number), paths: idx.map((i) => split.paths[i] as string) };
}

/**
 * The advisor's measurement, shared by `headstart advise` and `train`'s measured recipe:
 * repeated-CV ridge probes over candidate cuts × avg/flatten (standardised as the head will
 * be) on `sample` (training images only: the validation split stays untouched for an honest
 * headline), the four-case schedule from size and similarity, and one augmented pass that
 * decides augmentation.
 */
export async function measureBase(base: LoadedBase, sample: ImageSplit, opts: MeasureOptions): Promise<Advice> {
  const { classes, seed, baseId, trainCount } = opts;
  const counts = new Map<number, number>();
  sample.labels.forEach((l) => counts.set(l, (counts.get(l) ?? 0) + 1));
  const k = Math.min(MAX_FOLDS, ...Array.from({ length: classes }, (_, c) => counts.get(c) ?? 0));
  if (k < 2) {
    throw new HeadstartError('DATASET_UNUSABLE', `The advisor needs at least 2 training images of every class to cross-validate; ${opts.dataLabel} has a class with ${k}. Add images to that class`, {
      details: { data: opts.dataLabel },
    });
  }
  const folds = Array.from({ length: PROBE_REPEATS }, (_, r) => stratifiedFolds(sample.labels, k, createRng(seed).fork(3 + r)));
  const cv = { folds, k, classes, epsilon: STANDARDIZE_EPSILON };
  // Catalogue candidates are probed where the loaded model has them (a mirror may serve a smaller model); named cuts must all exist.
  const isLayer = (c: string): boolean => c === base.cut || base.layers.some((l) => l.name === c);
  const catalogue = findBase(baseId)?.probeCuts ?? [];
  const present = catalogue.filter(isLayer);
  const cuts = opts.cuts ?? (present.includes(base.cut) ? present : [base.cut, ...present]);
  const skipped = opts.cuts ? [] : catalogue.filter((c) => !isLayer(c));
  const unknown = cuts.filter((c) => !isLayer(c));
  if (cuts.length === 0 || unknown.length > 0) {
    throw new HeadstartError('LAYER_NOT_FOUND', `Cannot probe cut ${unknown.length > 0 ? unknown.map((c) => `"${c}"`).join(', ') : '(none given)'}: not a layer of base ${baseId} (see \`headstart models\` or the model's summary)`, {
      details: { cuts: unknown },
    });
  }
  const blocks = await features(base, cuts, sample);
  const probes = measureProbes(cuts, blocks, sample.labels, cv);
  // Similarity to the source domain: the probe at the base's own cut (else the first probed).
  const reference = probes.find((p) => p.cut === base.cut && p.pooling === 'avg') ?? (probes[0] as ProbeResult);
  const acc = reference.accuracy;
  const similarity = Math.min(1, Math.max(0, (acc - 1 / classes) / (1 - 1 / classes)));
  const chosen = pickProbe(probes);
  const advice = adviseStrategy({ trainCount, classes, similarity, baseLayers: base.layers.filter((l) => l.weighted).length });
  const reasons = [...advice.reasons];
  if (skipped.length > 0) reasons.push(`candidate cuts ${skipped.join(', ')} are not layers of this ${baseId} model: not probed`);
  reasons.push(`ridge probes, ${PROBE_REPEATS}× ${k}-fold cross-validated on ${sample.labels.length} training images with the head's standardisation (accuracy, squared error of the scores): ` + probes.map((p) => `${p.cut}/${p.pooling} ${(p.accuracy * 100).toFixed(1)}% ${p.sqError.toFixed(3)}`).join(', ') + ` (chance ${(100 / classes).toFixed(1)}%)`);
  reasons.push(probeReason(probes, chosen, reference));
  let schedule = advice.schedule;
  let augmentProbe: Advice['augmentProbe'];
  if (schedule.augment) {
    // Does the proposed augmentation help here? One augmented pass added to every training fold.
    const spec = AugmentSpecSchema.parse(schedule.augment);
    const [augBlock] = await features(base, [chosen.cut], sample, (px, h, w, r) => coreAugment(px, h, w, spec, r), seed);
    const withAug = crossValidate(blocks[cuts.indexOf(chosen.cut)] as FeatureBlock, sample.labels, { ...cv, pooling: chosen.pooling, extra: augBlock as FeatureBlock });
    augmentProbe = { without: chosen.accuracy, with: withAug };
    if (withAug < chosen.accuracy) {
      const { augment: _dropped, ...rest } = schedule;
      schedule = rest;
      reasons.push(`augmentation dropped: an augmented pass lowered the probe to ${(withAug * 100).toFixed(1)}% (without: ${(chosen.accuracy * 100).toFixed(1)}%) — these images' orientation or position carries class information`);
    } else {
      schedule = { ...schedule, augmentedPasses: schedule.augmentedPasses ?? 4 };
      reasons.push(`augmentation kept: the probe scores ${(withAug * 100).toFixed(1)}% with an augmented pass vs ${(chosen.accuracy * 100).toFixed(1)}% without; ${schedule.augmentedPasses} augmented passes are cached`);
    }
  }
  const head: HeadSpec = { kind: 'dense', pooling: chosen.pooling, standardize: true, dropout: 0.2, blocks: [] };
  // The pure-JS cpu backend trains convolutions orders of magnitude slower than wasm: no scratch fit there.
  const slowBackend = tfc.getBackend() === 'cpu';
  const measure = opts.scratch !== false && !slowBackend;
  const scratchProbe = measure
    ? await measureScratch({ sample, sampleSize: base.inputSize, block: blocks[cuts.indexOf(chosen.cut)] as FeatureBlock, pooling: chosen.pooling, classes, epsilon: STANDARDIZE_EPSILON, seed })
    : undefined;
  if (measure) reasons.push(scratchReason(scratchProbe));
  else if (opts.scratch !== false) reasons.push('transfer vs scratch not measured: the pure-JS cpu backend trains convolutions too slowly for a scratch fit (use wasm or tfjs-node)');
  return {
    ...advice,
    cut: chosen.cut === base.cut ? 'default' : 'earlier',
    schedule,
    reasons,
    base: baseId,
    trainCount,
    classes,
    probeAccuracy: acc,
    similarity,
    probeImages: sample.labels.length,
    probeFolds: k,
    probes,
    ...(chosen.cut !== base.cut ? { cutLayer: chosen.cut } : {}),
    head,
    ...(augmentProbe ? { augmentProbe } : {}),
    ...(scratchProbe ? { scratchProbe } : {}),
  };
}

/** The advisor's line on transfer vs scratch. */
export function scratchReason(p: ScratchProbe | undefined): string {
  if (!p) return 'transfer vs scratch not measured: a class has fewer than 3 sample images (no third to hold out)';
  const vs = `the scratch CNN (${p.size} px, ${p.epochs} epochs on ${p.trainImages} images) scores ${pct(p.scratch)} vs the transfer probe's ${pct(p.transfer)} on the same ${p.heldOut} held-out images (${p.scratchOnly} right only by scratch, ${p.transferOnly} only by transfer)`;
  return p.wins ? `${vs}: scratch is significantly better — train from scratch (\`--mode scratch\`)` : `${vs}: scratch is not significantly better — transfer`;
}

/**
 * Recommends a cut, head and schedule for a dataset (see the module comment): the split
 * `train` would make (same seed and fractions), then `measureBase` on a sample of its training
 * images. Deterministic for a seed.
 * @example const advice = await adviseForDataset('data/demo'); advice.cutLayer; advice.head; advice.schedule;
 */
export async function adviseForDataset(data: string, opts: AdviseOptions = {}): Promise<Advice> {
  await selectBackend(opts.backend ?? 'auto');
  const baseId = opts.base ?? 'mobilenet_v2';
  const seed = opts.seed ?? 42;
  const inputSize = opts.inputSize ?? DEFAULT_SIZE[baseId];
  const base = await loadBase(baseId, {
    ...(inputSize ? { inputSize } : {}),
    ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
    ...(opts.modelMirror ? { mirror: opts.modelMirror } : {}),
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  });
  try {
    const prepared = await prepareData(data, { size: base.inputSize, resize: 'cover', valSplit: opts.valSplit ?? 0.2, testSplit: opts.testSplit ?? 0, seed, skipCheck: true });
    const sample = sampleSplit(prepared.train, opts.sampleSize ?? DEFAULT_PROBE_SAMPLE, seed);
    return await measureBase(base, sample, { baseId, trainCount: prepared.train.labels.length, classes: prepared.labels.length, ...(opts.cuts ? { cuts: opts.cuts } : {}), seed, dataLabel: data, ...(opts.scratch === false ? { scratch: false } : {}) });
  } finally {
    await releaseImageStage(base.model);
    base.model.dispose();
  }
}
