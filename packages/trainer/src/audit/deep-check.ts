/**
 * `deepCheck`: label errors and near-duplicates found with the base's embeddings. Every image is
 * embedded once (the advisor's feature pass: onnxruntime when the prefix converts, else TF.js),
 * standardised as the head would, scored by k-fold ridge probes out of fold, turned into
 * probabilities by a temperature fitted on those out-of-fold scores, and ranked by confident
 * learning; near-duplicates are pairs of embeddings with a high cosine similarity, across
 * classes and splits.
 */
import { relative, sep } from 'node:path';
import { createRng, fitTemperature, HeadstartError, softmax, type EventSink, type Split } from '@headstart/core';
import { DEFAULT_SIZE, features, measureProbes, PROBE_REPEATS } from '../advise.ts';
import { pickProbe } from '../probe/pick.ts';
import { selectBackend, type BackendName } from '../backend/select-backend.ts';
import { findBase } from '../bases/catalogue.ts';
import { loadBase } from '../bases/load-base.ts';
import { prepareData, type ImageSplit } from '../data/prepare.ts';
import { STANDARDIZE_EPSILON } from '../model/head.ts';
import { stratifiedFolds, type FeatureBlock, type ProbePooling } from '../probe/cross-validate.ts';
import { gramTf, outOfFoldScores, probeRows } from '../probe/out-of-fold.ts';
import { findLabelIssues } from './label-issues.ts';
import { findNearDuplicates, NEAR_DUPLICATE_SIMILARITY } from './near-duplicates.ts';

/** Options of `deepCheck`. */
export interface DeepCheckOptions {
  /** Catalogue id, model.json path/URL or run directory (default mobilenet_v2). */
  base?: string;
  inputSize?: number;
  /** Folds of the out-of-fold probes (default 5; fewer when a class has fewer images). */
  folds?: number;
  /** Cosine similarity from which two images are near-duplicates. */
  duplicateSimilarity?: number;
  /** Images examined at most (a seeded sample beyond that; the probes cost O(n³)). */
  maxImages?: number;
  seed?: number;
  backend?: BackendName | 'auto';
  onEvent?: EventSink;
}

/** An image as the deep check reports it. */
export interface DeepCheckImage {
  /** Path relative to the dataset root (`file#index` for IDX items). */
  path: string;
  label: string;
  split: Split;
}

/** A suspected label error, most suspect first in `DeepCheckReport.labelIssues`. */
export interface LabelIssueRow extends DeepCheckImage {
  rank: number;
  suggested: string;
  givenProb: number;
  suggestedProb: number;
  margin: number;
}

/** Two images whose embeddings are nearly the same. */
export interface NearDuplicateRow {
  a: DeepCheckImage;
  b: DeepCheckImage;
  similarity: number;
  /** What makes the pair worth a look: different labels, different splits (leakage), or neither. */
  kind: 'cross-class' | 'cross-split' | 'same-class';
}

/** What `deepCheck` found. */
export interface DeepCheckReport {
  root: string;
  base: string;
  /** The cut and pooling the probes chose (the advisor's rule). */
  cut: string;
  pooling: ProbePooling;
  images: number;
  /** Images in the dataset before sampling down to `maxImages`. */
  totalImages: number;
  labels: string[];
  folds: number;
  /** Out-of-fold accuracy of the probes (how much the suggestions can be trusted). */
  probeAccuracy: number;
  /** Temperature turning probe scores into probabilities (fitted on the out-of-fold scores). */
  temperature: number;
  duplicateSimilarity: number;
  labelIssues: LabelIssueRow[];
  nearDuplicates: NearDuplicateRow[];
}

/** The report plus the decoded images (input size, RGB uint8) for thumbnails, indexed like `paths`. */
export interface DeepCheckResult {
  report: DeepCheckReport;
  pixels: Map<string, { data: Uint8Array; size: [number, number] }>;
}

/** Default folds of the out-of-fold probes. */
export const DEEP_CHECK_FOLDS = 5;
/** Default cap on the images examined. */
export const DEEP_CHECK_MAX_IMAGES = 4000;
/** Images the cut/pooling choice is cross-validated on (as the advisor's sample). */
export const PROBE_SAMPLE = 300;

/**
 * Finds suspected label errors and near-duplicates in a dataset (see the module comment).
 * @example const { report } = await deepCheck('data/demo/fashion-mnist'); report.labelIssues[0];
 */
export async function deepCheck(data: string, opts: DeepCheckOptions = {}): Promise<DeepCheckResult> {
  await selectBackend(opts.backend ?? 'auto');
  const baseId = opts.base ?? 'mobilenet_v2';
  const seed = opts.seed ?? 42;
  const inputSize = opts.inputSize ?? DEFAULT_SIZE[baseId];
  const base = await loadBase(baseId, inputSize ? { inputSize } : {});
  try {
    const maxImages = opts.maxImages ?? DEEP_CHECK_MAX_IMAGES;
    const prepared = await prepareData(data, { size: base.inputSize, resize: 'cover', valSplit: 0, testSplit: 0, seed, maxImages, skipCheck: false, ...(opts.onEvent ? { onEvent: opts.onEvent } : {}) });
    const parts = (['train', 'val', 'test'] as const).map((s) => ({ split: s, part: prepared[s] }));
    const all: ImageSplit = { pixels: parts.flatMap((p) => p.part.pixels), labels: Int32Array.from(parts.flatMap((p) => [...p.part.labels])), paths: parts.flatMap((p) => p.part.paths) };
    const splits: Split[] = parts.flatMap((p) => p.part.paths.map(() => p.split));
    const classes = prepared.labels.length;
    const counts = prepared.labels.map((_, c) => all.labels.filter((l) => l === c).length);
    const k = Math.min(opts.folds ?? DEEP_CHECK_FOLDS, ...counts);
    if (k < 2) {
      throw new HeadstartError('DATASET_UNUSABLE', `The deep check needs at least 2 images of every class to cross-validate; ${data} has a class with ${Math.min(...counts)}. Add images to that class`, { details: { data } });
    }
    // Which cut and pooling separate these classes best: the advisor's probes on a sample.
    const cuts = findBase(baseId)?.probeCuts.filter((c) => base.layers.some((l) => l.name === c)) ?? [base.cut];
    if (!cuts.includes(base.cut)) cuts.unshift(base.cut);
    const sample = createRng(seed).fork(13).shuffle(Array.from(all.labels, (_, i) => i)).slice(0, PROBE_SAMPLE).sort((a, b) => a - b);
    const sampleLabels = Int32Array.from(sample, (i) => all.labels[i] as number);
    const kSample = Math.min(k, ...prepared.labels.map((_, c) => sampleLabels.filter((l) => l === c).length));
    let chosen: { cut: string; pooling: ProbePooling } = { cut: base.cut, pooling: 'avg' };
    if (kSample >= 2 && cuts.length > 0) {
      const sampleSplit = { pixels: sample.map((i) => all.pixels[i] as Uint8Array), labels: sampleLabels, paths: sample.map((i) => all.paths[i] as string) };
      const folds = Array.from({ length: PROBE_REPEATS }, (_, r) => stratifiedFolds(sampleLabels, kSample, createRng(seed).fork(3 + r)));
      chosen = pickProbe(measureProbes(cuts, await features(base, cuts, sampleSplit), sampleLabels, { folds, k: kSample, classes, epsilon: STANDARDIZE_EPSILON }));
    }
    const [block] = (await features(base, [chosen.cut], all)) as [FeatureBlock];
    const { rows, dim } = probeRows(block, chosen.pooling, STANDARDIZE_EPSILON);
    const gram = gramTf(rows, all.labels.length, dim);
    const folds = stratifiedFolds(all.labels, k, createRng(seed).fork(11));
    const scores = outOfFoldScores(gram, all.labels, { folds, k, classes });
    const temperature = fitTemperature(scores, all.labels, classes);
    const probs = softmax(scores.map((v) => v / temperature), classes);
    let correct = 0;
    all.labels.forEach((y, i) => {
      let best = 0;
      for (let c = 1; c < classes; c++) if (probs[i * classes + c]! > probs[i * classes + best]!) best = c;
      if (best === y) correct += 1;
    });
    const rel = (p: string): string => relative(prepared.dataset.root, p).split(sep).join('/');
    const image = (i: number): DeepCheckImage => ({ path: rel(all.paths[i] as string), label: prepared.labels[all.labels[i] as number] as string, split: splits[i] as Split });
    const labelIssues = findLabelIssues(probs, all.labels, classes).map((it, r) => ({
      ...image(it.index),
      rank: r + 1,
      suggested: prepared.labels[it.suggested] as string,
      givenProb: it.givenProb,
      suggestedProb: it.suggestedProb,
      margin: it.margin,
    }));
    const threshold = opts.duplicateSimilarity ?? NEAR_DUPLICATE_SIMILARITY;
    const nearDuplicates = findNearDuplicates(gram, all.labels.length, threshold).map(({ a, b, similarity }): NearDuplicateRow => {
      const ia = image(a);
      const ib = image(b);
      return { a: ia, b: ib, similarity, kind: ia.label !== ib.label ? 'cross-class' : ia.split !== ib.split ? 'cross-split' : 'same-class' };
    });
    const shown = new Set([...labelIssues.map((r) => r.path), ...nearDuplicates.flatMap((d) => [d.a.path, d.b.path])]);
    const pixels = new Map<string, { data: Uint8Array; size: [number, number] }>();
    all.paths.forEach((p, i) => {
      if (shown.has(rel(p))) pixels.set(rel(p), { data: all.pixels[i] as Uint8Array, size: base.inputSize });
    });
    return {
      report: {
        root: prepared.dataset.root,
        base: baseId,
        cut: chosen.cut,
        pooling: chosen.pooling,
        images: all.labels.length,
        totalImages: prepared.dataset.items.length,
        labels: prepared.labels,
        folds: k,
        probeAccuracy: correct / all.labels.length,
        temperature,
        duplicateSimilarity: threshold,
        labelIssues,
        nearDuplicates,
      },
      pixels,
    };
  } finally {
    base.model.dispose();
  }
}
