import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import {
  decodePredictionCsv,
  decodePredictionJsonl,
  encodePredictionCsv,
  encodePredictionJsonl,
  predictionCsvHeader,
  predictionFormatFor,
  type PredictionRow,
} from './prediction-row.ts';

const model = `sha256:${'ab'.repeat(32)}`;
const ok: PredictionRow = { path: '/data/a, "quoted".png', model, label: 'unknown', predictions: [{ label: 'cat', probability: 0.912345678 }, { label: 'dog', probability: 0.0876 }] };
const bad: PredictionRow = { path: '/data/b.png', model, predictions: [], error: { code: 'IMAGE_UNDECODABLE', message: 'bad: truncated, "x"' } };

describe('bulk prediction rows', () => {
  it('CSV rows round-trip through an RFC 4180 parser, probabilities rounded to 6 decimals', () => {
    const header = predictionCsvHeader(2);
    const text = [header.join(','), encodePredictionCsv(ok, 2), encodePredictionCsv(bad, 2)].join('\n');
    const [h, ...records] = parse(text) as string[][];
    expect(h).toEqual(header);
    expect(decodePredictionCsv(records[0] as string[], header)).toEqual({ ...ok, predictions: [{ label: 'cat', probability: 0.912346 }, { label: 'dog', probability: 0.0876 }] });
    expect(decodePredictionCsv(records[1] as string[], header)).toEqual(bad);
  });

  it('JSON Lines rows round-trip; the format follows the file extension', () => {
    expect(decodePredictionJsonl(encodePredictionJsonl(bad))).toEqual(bad);
    expect(decodePredictionJsonl(encodePredictionJsonl(ok)).predictions[0]?.probability).toBe(0.912346);
    expect(decodePredictionJsonl(encodePredictionJsonl(ok)).label).toBe('unknown');
    expect(predictionFormatFor('out/R.CSV')).toBe('csv');
    expect(predictionFormatFor('r.ndjson')).toBe('jsonl');
    expect(() => predictionFormatFor('r.txt')).toThrow(/\.csv or \.jsonl/);
  });
});
