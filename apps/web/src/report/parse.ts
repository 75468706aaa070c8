/** The parts of a run's report.json (core's EvalReport) and history.jsonl the report view draws. */

export interface PerClass {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** One epoch of history.jsonl. */
export interface HistoryRow {
  phase: string;
  epoch: number;
  loss?: number;
  acc?: number;
  val_loss?: number;
  val_acc?: number;
}

export interface ReportData {
  accuracy?: number;
  macroF1?: number;
  topK: Record<string, number>;
  labels: string[];
  confusion: number[][];
  perClass: PerClass[];
  confusedPairs: { actual: string; predicted: string; count: number }[];
  history: HistoryRow[];
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const rec = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {});

/** Parses history rows from JSON Lines text (blank lines skipped; a bad line throws naming its number). */
export function parseHistoryJsonl(text: string): HistoryRow[] {
  const rows: HistoryRow[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new Error(`history.jsonl line ${i + 1} is not JSON: ${line.slice(0, 60)}`);
    }
    const row = toHistoryRow(v);
    if (row) rows.push(row);
  });
  return rows;
}

function toHistoryRow(v: unknown): HistoryRow | undefined {
  const r = rec(v);
  const epoch = num(r['epoch']);
  if (epoch === undefined) return undefined;
  return {
    phase: typeof r['phase'] === 'string' ? r['phase'] : 'phase1',
    epoch,
    loss: num(r['loss']),
    acc: num(r['acc']),
    val_loss: num(r['val_loss']),
    val_acc: num(r['val_acc']),
  };
}

/** Validates report.json enough to draw it; throws a message naming what is missing. */
export function parseReport(json: unknown): ReportData {
  const r = rec(json);
  const labels = Array.isArray(r['labels']) ? r['labels'].map(String) : [];
  const confusion = Array.isArray(r['confusion']) ? r['confusion'].map((row) => (Array.isArray(row) ? row.map((x) => num(x) ?? 0) : [])) : [];
  if (labels.length === 0 || confusion.length !== labels.length || confusion.some((row) => row.length !== labels.length)) {
    throw new Error(`report.json needs "labels" and a square "confusion" matrix of the same size (got ${labels.length} labels, ${confusion.length} rows).`);
  }
  const perClass: PerClass[] = (Array.isArray(r['perClass']) ? r['perClass'] : []).map((p) => {
    const o = rec(p);
    return { label: String(o['label']), precision: num(o['precision']) ?? 0, recall: num(o['recall']) ?? 0, f1: num(o['f1']) ?? 0, support: num(o['support']) ?? 0 };
  });
  const topK: Record<string, number> = {};
  for (const [k, v] of Object.entries(rec(r['topK']))) if (num(v) !== undefined) topK[k] = v as number;
  const confusedPairs = (Array.isArray(r['confusedPairs']) ? r['confusedPairs'] : []).map((p) => {
    const o = rec(p);
    return { actual: String(o['actual']), predicted: String(o['predicted']), count: num(o['count']) ?? 0 };
  });
  const history = (Array.isArray(r['history']) ? r['history'] : []).map(toHistoryRow).filter((x): x is HistoryRow => x !== undefined);
  return { accuracy: num(r['accuracy']), macroF1: num(r['macroF1']), topK, labels, confusion, perClass, confusedPairs, history };
}
