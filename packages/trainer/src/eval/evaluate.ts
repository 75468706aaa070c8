/** Evaluation of a model on a split → report.json + report.html, and `evaluateRun` for finished runs. */
import { join, resolve } from 'node:path';
import { classificationReport, HeadstartError, type EvalReport, type EventSink, type PreprocessSpec } from '@headstart/core';
import { writeFileAtomic } from '@headstart/core/node';
import { selectBackend } from '../backend/select-backend.ts';
import type { ImageSplit } from '../data/prepare.ts';
import { prepareData } from '../data/prepare.ts';
import { ImageSource } from '../data/sources.ts';
import { readHistory, readManifest } from '../run/manifest.ts';
import { loadLayersModelFile } from '../run/model-io.ts';
import type { LayersModel } from '../tf.ts';
import type { EpochRecord } from '../train/fit-loop.ts';
import { evaluateSource } from '../train/fit-loop.ts';
import { renderReportHtml } from './report-html.ts';

/** Predicts `split` with `model`, builds the classification report and writes report.json/report.html. */
export async function evaluateAndReport(
  runDir: string,
  model: LayersModel,
  split: ImageSplit,
  labels: string[],
  preprocess: PreprocessSpec,
  history: EpochRecord[],
  onEvent: EventSink,
  topK = 5,
): Promise<EvalReport> {
  const src = new ImageSource(split.pixels, split.labels, preprocess);
  const { probs } = evaluateSource(model, src, labels.length, 32);
  const ks = [1, ...(topK > 1 ? [Math.min(topK, labels.length)] : [])];
  const report = classificationReport(labels, split.labels, probs, { topK: ks, paths: split.paths, topLosses: 12 });
  await writeFileAtomic(join(runDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFileAtomic(join(runDir, 'report.html'), renderReportHtml(report, history, { title: runDir }));
  onEvent({ type: 'eval', accuracy: report.accuracy, topK: report.topK, perClass: report.perClass, confusedPairs: report.confusedPairs });
  return report;
}

/**
 * Evaluates a finished run on a dataset (default: its own, the held-out test split or else
 * the validation split) and rewrites report.json/report.html.
 * @example const report = await evaluateRun('runs/demo', { data: 'data/holdout' });
 */
export async function evaluateRun(runDir: string, opts: { data?: string; topK?: number } = {}, onEvent: EventSink = () => undefined): Promise<EvalReport> {
  const dir = resolve(runDir);
  const manifest = await readManifest(dir);
  if (manifest.status !== 'complete') throw new HeadstartError('RUN_INCOMPLETE', `Run ${dir} is ${manifest.status}; finish it (or resume it) before evaluating`);
  await selectBackend('auto');
  const model = await loadLayersModelFile(join(dir, 'model', 'model.json'));
  const own = opts.data === undefined;
  const data = await prepareData(opts.data ?? manifest.dataset.path, {
    size: manifest.preprocess.size,
    resize: manifest.preprocess.resize,
    valSplit: own ? manifest.schedule.valSplit : 0,
    testSplit: own ? manifest.schedule.testSplit : 0,
    seed: manifest.schedule.seed,
  });
  const labels = manifest.labels;
  const mapping = data.labels.map((l) => labels.indexOf(l));
  const missing = data.labels.filter((_, i) => mapping[i] === -1);
  if (missing.length > 0) throw new HeadstartError('SPEC_MISMATCH', `Classes ${missing.join(', ')} of ${opts.data} are not labels of run ${dir} (${labels.join(', ')})`);
  let split: ImageSplit;
  if (own) {
    split = data.test.labels.length > 0 ? data.test : data.val;
  } else {
    const all = [data.train, data.val, data.test];
    split = { pixels: all.flatMap((s) => s.pixels), labels: Int32Array.from(all.flatMap((s) => Array.from(s.labels))), paths: all.flatMap((s) => s.paths) };
  }
  split = { ...split, labels: split.labels.map((l) => mapping[l] as number) };
  const report = await evaluateAndReport(dir, model, split, labels, manifest.preprocess, await readHistory(dir), onEvent, opts.topK ?? 5);
  model.dispose();
  return report;
}
