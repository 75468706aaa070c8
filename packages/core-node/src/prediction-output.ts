import { appendFile, mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { HeadstartError, decodePredictionCsv, decodePredictionJsonl, encodePredictionCsv, encodePredictionJsonl, predictionCsvHeader, predictionFormatFor, type PredictionFormat, type PredictionRow } from '@headstart/core';

/** A bulk-prediction output file opened for appending, with the rows a previous run already wrote. */
export interface PredictionOutput {
  readonly path: string;
  readonly format: PredictionFormat;
  /** Rows already in the file (a resumed run skips their paths). */
  readonly previous: PredictionRow[];
  /** Appends rows (one write, each row one line). */
  append(rows: readonly PredictionRow[]): Promise<void>;
}

/** Reads every row of a bulk-prediction output (CSV or JSON Lines); a partial last line is ignored. */
export async function readPredictionOutput(path: string): Promise<PredictionRow[]> {
  const text = await readFile(path, 'utf8');
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  return decodeAll(path, complete, predictionFormatFor(path)).rows;
}

function decodeAll(path: string, text: string, format: PredictionFormat): { rows: PredictionRow[]; header?: string[] } {
  try {
    if (format === 'jsonl') return { rows: text.split('\n').filter((l) => l.trim() !== '').map(decodePredictionJsonl) };
    const records = parse(text, { relax_column_count: true, skip_empty_lines: true }) as string[][];
    const header = records[0];
    if (header === undefined) return { rows: [] };
    return { rows: records.slice(1).map((r) => decodePredictionCsv(r, header)), header };
  } catch (cause) {
    throw new HeadstartError('IO', `${path} is not a Headstart prediction output (${(cause as Error).message}); pick another --out or delete it`, { cause });
  }
}

/**
 * Opens (or creates) a bulk-prediction output. An existing file is resumed: its complete rows are
 * returned as `previous`, and a partial last line (a run killed mid-write) is cut off first.
 * @throws HeadstartError USAGE when an existing CSV was written with another top-k.
 */
export async function openPredictionOutput(path: string, topK: number): Promise<PredictionOutput> {
  const format = predictionFormatFor(path);
  await mkdir(dirname(path), { recursive: true });
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new HeadstartError('IO', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  const cut = text.lastIndexOf('\n') + 1;
  if (cut < text.length) await truncate(path, Buffer.byteLength(text.slice(0, cut)));
  const { rows, header } = decodeAll(path, text.slice(0, cut), format);
  if (format === 'csv') {
    const want = predictionCsvHeader(topK);
    if (header === undefined) {
      await writeFile(path, `${want.join(',')}\n`);
    } else if (header.join(',') === want.filter((c) => c !== 'label').join(',')) {
      throw new HeadstartError('USAGE', `${path} was written before bulk prediction wrote the answer column "label"; pick another --out or delete it`);
    } else if (header.join(',') !== want.join(',')) {
      const k = header.filter((c) => c.startsWith('label_')).length;
      throw new HeadstartError('USAGE', `${path} was written with --top-k ${k}; resume with --top-k ${k} or pick another --out`);
    }
  }
  return {
    path,
    format,
    previous: rows,
    async append(more) {
      if (more.length === 0) return;
      const lines = more.map((r) => (format === 'csv' ? encodePredictionCsv(r, topK) : encodePredictionJsonl(r)));
      await appendFile(path, `${lines.join('\n')}\n`);
    },
  };
}
