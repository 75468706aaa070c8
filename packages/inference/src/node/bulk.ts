import { readFile } from 'node:fs/promises';
import { HeadstartError, isHeadstartError, type PredictionRow } from '@headstart/core';
import { answerOf, resolveTopK, topPredictions } from '../shared/index.ts';
import type { Classifier } from './classifier.ts';

/** Options of {@link classifyFiles}. */
export interface ClassifyFilesOptions {
  topK: number;
  /** `sha256:<hex>` of the model, written into every row. */
  modelHash: string;
  /** Images per onnxruntime run (default 32). */
  batchSize?: number;
  /** Files read and decoded at once (default 4; 1 = strictly one after another). */
  decodeConcurrency?: number;
  /** Called after each batch with the rows it produced. */
  onBatch?: (rows: PredictionRow[]) => void | Promise<void>;
}

type Decoded = { ok: true; rgb: Uint8Array } | { ok: false; error: { code: string; message: string } };

async function readAndDecode(clf: Classifier, path: string): Promise<Decoded> {
  try {
    const bytes = await readFile(path).catch((cause: unknown) => {
      throw new HeadstartError('IO', `cannot read ${path}: ${(cause as Error).message}`, { cause });
    });
    return { ok: true, rgb: await clf.decode(bytes) };
  } catch (e) {
    if (!isHeadstartError(e)) throw e;
    return { ok: false, error: { code: e.code, message: e.message } };
  }
}

/** Decodes `paths` with at most `limit` in flight, in order. */
async function decodeAll(clf: Classifier, paths: readonly string[], limit: number): Promise<Decoded[]> {
  const out = new Array<Decoded>(paths.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < paths.length) {
      const i = next++;
      out[i] = await readAndDecode(clf, paths[i] as string);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, paths.length) }, lane));
  return out;
}

/**
 * Classifies image files in batches: decodes the next batch while the current one runs, and turns
 * unreadable or undecodable files into rows carrying their error (never throws for one bad file).
 * Rows come back in `paths` order.
 * @example
 *   const rows = await classifyFiles(clf, ['a.png', 'b.png'], { topK: 3, modelHash });
 */
export async function classifyFiles(clf: Classifier, paths: readonly string[], opts: ClassifyFilesOptions): Promise<PredictionRow[]> {
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 32));
  const concurrency = Math.max(1, Math.floor(opts.decodeConcurrency ?? 4));
  const k = resolveTopK(opts.topK, clf.labels.length);
  const pixels = clf.inputSize[0] * clf.inputSize[1] * 3;
  const rows: PredictionRow[] = [];
  const batches: string[][] = [];
  for (let i = 0; i < paths.length; i += batchSize) batches.push(paths.slice(i, i + batchSize));
  let pending = batches.length > 0 ? decodeAll(clf, batches[0] as string[], concurrency) : undefined;
  for (let b = 0; b < batches.length; b++) {
    const files = batches[b] as string[];
    const decoded = await (pending as Promise<Decoded[]>);
    pending = b + 1 < batches.length ? decodeAll(clf, batches[b + 1] as string[], concurrency) : undefined;
    const good = decoded.flatMap((d, i) => (d.ok ? [i] : []));
    let probs: Float32Array | undefined;
    if (good.length > 0) {
      const input = new Uint8Array(good.length * pixels);
      good.forEach((i, j) => input.set((decoded[i] as { rgb: Uint8Array }).rgb, j * pixels));
      probs = await clf.runPixels(input, good.length);
    }
    const batchRows = files.map((path, i): PredictionRow => {
      const d = decoded[i] as Decoded;
      if (!d.ok) return { path, model: opts.modelHash, predictions: [], error: d.error };
      const predictions = topPredictions(probs as Float32Array, clf.labels, k, good.indexOf(i));
      return { path, model: opts.modelHash, label: answerOf(predictions, clf.unknownBelow).label, predictions };
    });
    rows.push(...batchRows);
    await opts.onBatch?.(batchRows);
  }
  return rows;
}
