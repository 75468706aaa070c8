/** Evaluation of a model on a split → report.json + report.html, and `evaluateRun` for finished runs. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { averageViews, classificationReport, HeadstartError, TTA_VIEWS, ttaViews, type CalibrationRecord, type EvalReport, type EvalSource, type EventSink, type PreprocessSpec, type RunManifest } from '@headstart/core';
import { thumbnailDataUri, verifyRunWeights, writeFileAtomic } from '@headstart/core-node';
import { selectBackend } from '../backend/select-backend.ts';
import type { ImageSplit } from '../data/prepare.ts';
import { prepareData } from '../data/prepare.ts';
import { attachImageStage, releaseImageStage } from '../train/image-stage.ts';
import { onnxStageForRun } from '../bases/onnx-base.ts';
import { readHistory, readManifest } from '../run/manifest.ts';
import { loadLayersModelFile } from '../run/model-io.ts';
import type { LayersModel } from '../tf.ts';
import type { EpochRecord } from '../train/fit-loop.ts';
import { evaluateSplit } from '../train/evaluate-split.ts';
import { calibrationSection } from './calibration-html.ts';
import { ttaSection } from './tta-html.ts';
import { eceOf } from '../train/calibrate.ts';
import { renderReportHtml, runSettings, type ReportImages } from './report-html.ts';
import { topLossHeatMaps, topLossHeatSection } from './top-losses-heat-html.ts';

/** sha256 of a run's saved weights (model/weights.bin): names the model a report measured. */
export async function weightsSha256(runDir: string): Promise<string> {
  return createHash('sha256').update(await readFile(join(runDir, 'model', 'weights.bin'))).digest('hex');
}

/**
 * File stem of the report of an evaluation: `report` for the run's own data, else
 * `report-<data folder name>` (so evaluating other data never overwrites the run's report); with
 * test-time augmentation `-tta` is appended (its numbers never replace the plain ones).
 */
export function reportStem(data?: string, tta = false): string {
  if (tta) return `${reportStem(data)}-tta`;
  if (data === undefined) return 'report';
  const name = basename(resolve(data)).replace(/\.[^.]+$/, '').toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  return `report-${name || 'data'}`;
}

/** The manifest's decision record (why the run's settings were chosen), when it has one. */
export function decisionOf(manifest: RunManifest): unknown {
  return (manifest as RunManifest & { decision?: unknown }).decision;
}

/** What an evaluation is about, besides the numbers. */
export interface ReportContext {
  /** Evaluated dataset path and split. */
  data: string;
  split: EvalSource['split'];
  /** File stem: `report` (the run's own data) or `report-<name>` (see reportStem). */
  stem?: string;
  /** Extra settings shown on the page (base, cut, head, schedule). */
  settings?: Record<string, string>;
  /** The run's decision record (why these settings), when the manifest has one. */
  decision?: unknown;
  /** The run's temperature scaling (a calibration section on the page). */
  calibration?: CalibrationRecord;
  /** Test-time augmentation: classify each image as core's TTA views, averaged (and say what that changed and cost). */
  tta?: boolean;
}

/** Examples shown per class on the report page. */
export const REPORT_EXAMPLES_PER_CLASS = 6;

/** Thumbnails of the top losses and of a few examples per class (correct ones first, then mistakes). */
async function reportImages(split: ImageSplit, labels: string[], probs: Float32Array, size: readonly [number, number], topLossIndices: number[]): Promise<ReportImages> {
  const C = labels.length;
  const predicted = (i: number): number => {
    let arg = 0;
    for (let c = 1; c < C; c++) if ((probs[i * C + c] as number) > (probs[i * C + arg] as number)) arg = c;
    return arg;
  };
  const thumb = (i: number): Promise<string> => thumbnailDataUri(split.pixels[i] as Uint8Array, size[0], size[1]);
  const byIndex: Record<number, string> = {};
  for (const i of topLossIndices) if (split.pixels[i]) byIndex[i] = await thumb(i);
  const examples: ReportImages['examples'] = [];
  for (let c = 0; c < C; c++) {
    const idx = Array.from(split.labels.keys()).filter((i) => split.labels[i] === c);
    const right = idx.filter((i) => predicted(i) === c);
    const wrong = idx.filter((i) => predicted(i) !== c);
    const pick = [...right.slice(0, REPORT_EXAMPLES_PER_CLASS - Math.min(2, wrong.length)), ...wrong].slice(0, REPORT_EXAMPLES_PER_CLASS);
    const items = [];
    for (const i of pick) items.push({ uri: await thumb(i), predicted: labels[predicted(i)] as string, ...(split.paths[i] ? { path: split.paths[i] } : {}) });
    examples.push({ label: labels[c] as string, items });
  }
  return { byIndex, examples };
}

/** Classifies every image of `split` as its TTA views, averaged; with what that changed against the plain probabilities. */
async function withTta(model: LayersModel, split: ImageSplit, preprocess: PreprocessSpec, labels: string[], plain: Float32Array, secondsWithout: number): Promise<{ probs: Float32Array; record: NonNullable<EvalReport['tta']> }> {
  const t0 = performance.now();
  const pixels = split.pixels.flatMap((px) => ttaViews(px, preprocess.size));
  const viewLabels = Int32Array.from(pixels, (_, i) => split.labels[Math.floor(i / TTA_VIEWS)] as number);
  const probs = averageViews((await evaluateSplit(model, { pixels, labels: viewLabels, paths: [] }, preprocess, labels.length)).probs, TTA_VIEWS, labels.length);
  const seconds = (performance.now() - t0) / 1000;
  const accuracyWithout = classificationReport(labels, split.labels, plain, { topK: [1] }).accuracy;
  return { probs, record: { views: TTA_VIEWS, accuracyWithout, secondsWithout, seconds } };
}

/** Predicts `split` with `model`, builds the classification report and writes <stem>.json/<stem>.html. */
export async function evaluateAndReport(
  runDir: string,
  model: LayersModel,
  split: ImageSplit,
  labels: string[],
  preprocess: PreprocessSpec,
  history: EpochRecord[],
  onEvent: EventSink,
  topK = 5,
  context?: ReportContext,
): Promise<EvalReport> {
  const t0 = performance.now();
  const plain = (await evaluateSplit(model, split, preprocess, labels.length)).probs;
  const tta = context?.tta ? await withTta(model, split, preprocess, labels, plain, (performance.now() - t0) / 1000) : undefined;
  const probs = tta?.probs ?? plain;
  const ks = [1, ...(topK > 1 ? [Math.min(topK, labels.length)] : [])];
  const measured = { ...classificationReport(labels, split.labels, probs, { topK: ks, paths: split.paths, topLosses: 12 }), ece: eceOf(probs, split.labels, labels.length, context?.calibration?.temperature) };
  const source: EvalSource | undefined = context
    ? { data: context.data, split: context.split, images: measured.count, modelSha256: await weightsSha256(runDir), evaluatedAt: new Date().toISOString() }
    : undefined;
  const report: EvalReport = { ...(source ? { source } : {}), ...measured, ...(tta ? { tta: tta.record } : {}) };
  const stem = context?.stem ?? 'report';
  const images = await reportImages(split, labels, probs, preprocess.size, report.topLosses.map((l) => l.index));
  const heat = await topLossHeatMaps(model, split.pixels, report, labels, preprocess);
  await writeFileAtomic(join(runDir, `${stem}.json`), `${JSON.stringify(report, null, 2)}\n`);
  await writeFileAtomic(join(runDir, `${stem}.html`), renderReportHtml(report, history, {
      title: runDir,
      images,
      sections: [ttaSection(report), topLossHeatSection(report, heat), calibrationSection(context?.calibration, report.ece, context?.split)],
      ...(context?.settings ? { settings: context.settings } : {}),
      ...(context?.decision !== undefined ? { decision: context.decision } : {}),
    }),
  );
  onEvent({ type: 'eval', accuracy: report.accuracy, topK: report.topK, perClass: report.perClass, confusedPairs: report.confusedPairs });
  return report;
}

/**
 * Evaluates a finished run on a dataset: by default its own held-out test split (else the
 * validation split), rewriting report.json/report.html; with `data`, every image of that
 * dataset, written to report-<data name>.json/.html beside them.
 * @example const report = await evaluateRun('runs/demo', { data: 'data/holdout' });
 */
export async function evaluateRun(runDir: string, opts: { data?: string; topK?: number; tta?: boolean } = {}, onEvent: EventSink = () => undefined): Promise<EvalReport> {
  const dir = resolve(runDir);
  const manifest = await readManifest(dir);
  await verifyRunWeights(dir, manifest);
  if (manifest.status !== 'complete') throw new HeadstartError('RUN_INCOMPLETE', `Run ${dir} is ${manifest.status}; finish it (or resume it) before evaluating`);
  await selectBackend('auto');
  const model = await loadLayersModelFile(join(dir, 'model', 'model.json'));
  // A run on an ONNX base saved only the head: its base runs before it again.
  if (manifest.base.onnx) attachImageStage(model, await onnxStageForRun(manifest));
  const own = opts.data === undefined;
  const data = await prepareData(opts.data ?? manifest.dataset.path, {
    size: manifest.preprocess.size,
    resize: manifest.preprocess.resize,
    valSplit: own ? manifest.schedule.valSplit : 0,
    testSplit: own ? manifest.schedule.testSplit : 0,
    seed: manifest.schedule.seed,
    // Other data is evaluated on every class it has, however few images.
    ...(own ? {} : { allClasses: true }),
  });
  const labels = manifest.labels;
  const mapping = data.labels.map((l) => labels.indexOf(l));
  const missing = data.labels.filter((_, i) => mapping[i] === -1);
  if (missing.length > 0) throw new HeadstartError('SPEC_MISMATCH', `Classes ${missing.join(', ')} of ${opts.data} are not labels of run ${dir} (${labels.join(', ')})`);
  let split: ImageSplit;
  const which: EvalSource['split'] = own ? (data.test.labels.length > 0 ? 'test' : 'val') : 'all';
  if (own) {
    split = data.test.labels.length > 0 ? data.test : data.val;
  } else {
    const all = [data.train, data.val, data.test];
    split = { pixels: all.flatMap((s) => s.pixels), labels: Int32Array.from(all.flatMap((s) => Array.from(s.labels))), paths: all.flatMap((s) => s.paths) };
  }
  split = { ...split, labels: split.labels.map((l) => mapping[l] as number) };
  const context: ReportContext = { data: resolve(opts.data ?? manifest.dataset.path), split: which, stem: reportStem(opts.data, opts.tta), ...(opts.tta ? { tta: true } : {}), settings: runSettings(manifest), decision: decisionOf(manifest), ...(manifest.calibration ? { calibration: manifest.calibration } : {}) };
  let report: EvalReport;
  try {
    report = await evaluateAndReport(dir, model, split, labels, manifest.preprocess, await readHistory(dir), onEvent, opts.topK ?? 5, context);
  } finally {
    await releaseImageStage(model);
    model.dispose();
  }
  return report;
}
