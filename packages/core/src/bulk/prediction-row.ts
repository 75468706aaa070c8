import { z } from 'zod';
import { HeadstartError } from '../errors.ts';

/** One line of a bulk-prediction output: the image, the model's hash, its top-k, or the error that stopped it. */
export const PredictionRowSchema = z.object({
  path: z.string().min(1),
  /** `sha256:<hex>` of the model.onnx bytes. */
  model: z.string().min(1),
  /** The answer: the top label, or "unknown" below the model's threshold (absent on errors and in rows written before it existed). */
  label: z.string().optional(),
  predictions: z.array(z.object({ label: z.string(), probability: z.number() })),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

/** A bulk-prediction output row (see {@link PredictionRowSchema}). */
export type PredictionRow = z.infer<typeof PredictionRowSchema>;

/** The two bulk-prediction output formats, chosen by the output file's extension. */
export type PredictionFormat = 'csv' | 'jsonl';

/** Probabilities are written with this many decimals in both formats (stable across thread counts). */
export const PREDICTION_DECIMALS = 6;

/** The output format for a file name: `.csv` → csv, `.jsonl`/`.ndjson` → jsonl. */
export function predictionFormatFor(path: string): PredictionFormat {
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  throw new HeadstartError('USAGE', `--out ${path}: name a .csv or .jsonl file`);
}

/** Rounds a probability to {@link PREDICTION_DECIMALS} decimals. */
export function roundProbability(p: number): number {
  return Number(p.toFixed(PREDICTION_DECIMALS));
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The CSV header for top-k columns: `path,model,label,label_1,probability_1,…,error` (`label`: the answer, "unknown" below the model's threshold). */
export function predictionCsvHeader(topK: number): string[] {
  const cols = ['path', 'model', 'label'];
  for (let i = 1; i <= topK; i++) cols.push(`label_${i}`, `probability_${i}`);
  cols.push('error');
  return cols;
}

/** One row as a CSV record (no newline); the error column holds `CODE: message`. */
export function encodePredictionCsv(row: PredictionRow, topK: number): string {
  const cells = [row.path, row.model, row.label ?? ''];
  for (let i = 0; i < topK; i++) {
    const p = row.predictions[i];
    cells.push(p?.label ?? '', p === undefined ? '' : String(roundProbability(p.probability)));
  }
  cells.push(row.error ? `${row.error.code}: ${row.error.message}` : '');
  return cells.map(csvField).join(',');
}

/** One row as a JSON Lines record (no newline), probabilities rounded. */
export function encodePredictionJsonl(row: PredictionRow): string {
  const out: PredictionRow = {
    path: row.path,
    model: row.model,
    ...(row.label !== undefined ? { label: row.label } : {}),
    predictions: row.predictions.map((p) => ({ label: p.label, probability: roundProbability(p.probability) })),
    ...(row.error ? { error: row.error } : {}),
  };
  return JSON.stringify(out);
}

/** Parses one CSV record (already split into cells) written by {@link encodePredictionCsv}. */
export function decodePredictionCsv(cells: readonly string[], header: readonly string[]): PredictionRow {
  const at = (name: string): string => cells[header.indexOf(name)] ?? '';
  const predictions: PredictionRow['predictions'] = [];
  for (let i = 1; header.includes(`label_${i}`); i++) {
    const label = at(`label_${i}`);
    if (label !== '') predictions.push({ label, probability: Number(at(`probability_${i}`)) });
  }
  const err = at('error');
  const colon = err.indexOf(': ');
  const label = at('label');
  return PredictionRowSchema.parse({
    path: at('path'),
    model: at('model'),
    ...(label ? { label } : {}),
    predictions,
    ...(err ? { error: { code: colon > 0 ? err.slice(0, colon) : 'ERROR', message: colon > 0 ? err.slice(colon + 2) : err } } : {}),
  });
}

/** Parses one JSON Lines record written by {@link encodePredictionJsonl}. */
export function decodePredictionJsonl(line: string): PredictionRow {
  return PredictionRowSchema.parse(JSON.parse(line));
}
