/** Dataset → checked, split, decoded and resized pixels held in memory (uint8 RGB). */
import { relative, sep } from 'node:path';
import { assignSplits, createRng, HeadstartError, type Dataset, type EventSink, type ResizeMode } from '@headstart/core';
import { checkDataset, loadDataset, mapLimit, readDatasetItem, type CheckReport } from '@headstart/core-node';

/** A split of decoded images (each `size[0]×size[1]×3` uint8). */
export interface ImageSplit {
  pixels: Uint8Array[];
  labels: Int32Array;
  paths: string[];
}

/** The data a run trains on. */
export interface PreparedData {
  dataset: Dataset;
  labels: string[];
  train: ImageSplit;
  val: ImageSplit;
  test: ImageSplit;
  /** Images per class in the training split. */
  trainCounts: number[];
  /** scikit-learn 'balanced' weights from the check, by label. */
  checkWeights?: Record<string, number>;
  fingerprint: string;
}

/** Options of `prepareData`. */
export interface PrepareOptions {
  size: [number, number];
  resize: ResizeMode;
  valSplit: number;
  testSplit: number;
  seed: number;
  maxImages?: number;
  onEvent?: EventSink;
  /** Skip the full dataset check (quick probes only; training always checks). */
  skipCheck?: boolean;
  /**
   * Keep every class found, even those the check leaves out of training (fewer than 2 good
   * images): for evaluating on other data. Default false: exactly the check's `trainClasses`.
   */
  allClasses?: boolean;
}

function fnv1a(text: string, h = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** One warning naming how many images the check rejected and which (the first ten, with why). */
function skippedWarning(paths: string[], total: number, problems: CheckReport['problems']): { type: 'warning'; code: string; message: string } {
  const why = new Map(problems.filter((p) => p.severity === 'error').map((p) => [p.path, p.code]));
  const shown = paths.slice(0, 10).map((p) => `${p} (${why.get(p) ?? 'unusable'})`);
  const more = paths.length > shown.length ? `, and ${paths.length - shown.length} more` : '';
  return {
    type: 'warning',
    code: 'IMAGES_SKIPPED',
    message: `${paths.length} of ${total} images are skipped because they cannot be used: ${shown.join(', ')}${more}; \`headstart check\` lists them all`,
  };
}

/**
 * Checks the dataset (unusable → DATASET_UNUSABLE listing the problems, before any
 * training), drops files the check rejected (one IMAGES_SKIPPED warning says how many and which), assigns a seeded stratified split where the
 * dataset has none, and decodes every image at `size`.
 */
export async function prepareData(path: string, o: PrepareOptions): Promise<PreparedData> {
  const report = o.skipCheck
    ? ({ usable: true, problems: [], verdict: 'not checked' } as Pick<CheckReport, 'usable' | 'problems' | 'verdict' | 'classWeights'> & { trainClasses?: string[] })
    : await checkDataset(path);
  if (!report.usable) {
    // A folder that could not be read at all (a symlink loop, no classes) has one problem, which
    // the verdict already states: one line, not the same message twice.
    const errors = report.problems.filter((p) => p.severity === 'error' && !report.verdict.includes(p.message));
    const list = errors.slice(0, 10).map((p) => `  ${p.path}: ${p.code} ${p.message}`).join('\n');
    const verdict = report.verdict.replace(/^not usable: /, '');
    throw new HeadstartError('DATASET_UNUSABLE', `Dataset ${path} is not usable for training: ${verdict}${list ? `\n${list}` : ''}`, {
      details: { problems: report.problems },
    });
  }
  for (const p of report.problems.filter((q) => q.severity === 'warning').slice(0, 20)) {
    o.onEvent?.({ type: 'warning', code: p.code, message: p.message, path: p.path });
  }
  const dataset = await loadDataset(path);
  // One discovery, one answer: training uses exactly the classes `check` says it will.
  const labels = o.allClasses || !report.trainClasses ? dataset.labels : dataset.labels.filter((l) => report.trainClasses?.includes(l));
  const newIndex = dataset.labels.map((l) => labels.indexOf(l));
  const rejected = new Set(report.problems.filter((p) => p.severity === 'error').map((p) => p.path));
  const rel = (p: string): string => relative(dataset.root, p).split(sep).join('/');
  const isRejected = (it: { path: string }): boolean => rejected.has(rel(it.path)) || rejected.has(it.path);
  const skipped = dataset.items.filter(isRejected);
  if (skipped.length > 0) o.onEvent?.(skippedWarning(skipped.map((it) => rel(it.path)), dataset.items.length, report.problems));
  let items = dataset.items
    .filter((it) => !isRejected(it) && (newIndex[it.label] ?? -1) >= 0)
    .map((it) => ({ ...it, label: newIndex[it.label] as number }));
  if (o.maxImages !== undefined && items.length > o.maxImages) {
    const keep = new Set(createRng(o.seed).fork(7).shuffle(items.map((_, i) => i)).slice(0, o.maxImages));
    items = items.filter((_, i) => keep.has(i));
  }
  const split = assignSplits(items, { val: o.valSplit, test: o.testSplit }, o.seed);
  const decoded = await mapLimit(split, 4, async (it) => (await readDatasetItem(dataset, it, { size: o.size, resize: o.resize })).data);
  const part = (name: 'train' | 'val' | 'test'): ImageSplit => {
    const idx = split.map((it, i) => (it.split === name ? i : -1)).filter((i) => i >= 0);
    return {
      pixels: idx.map((i) => decoded[i] as Uint8Array),
      labels: Int32Array.from(idx, (i) => (split[i] as { label: number }).label),
      paths: idx.map((i) => (split[i] as { path: string }).path),
    };
  };
  const train = part('train');
  const trainCounts = labels.map((_, c) => train.labels.filter((l) => l === c).length);
  const fingerprint = split.reduce((h, it) => fnv1a(`${it.path}\u0000${it.label}\u0000${it.split ?? ''}\n`, h), 0x811c9dc5).toString(16).padStart(8, '0');
  return {
    dataset,
    labels,
    train,
    val: part('val'),
    test: part('test'),
    trainCounts,
    ...(report.classWeights ? { checkWeights: report.classWeights } : {}),
    fingerprint: `fnv1a:${fingerprint}:${split.length}`,
  };
}
