import { describe, expect, it } from 'vitest';
import { modelUrl, parseModelList, reportUrl } from '../src/api.ts';
import { parseHistoryJsonl, parseReport } from '../src/report/parse.ts';
import { confusionSvg, curveSvg, esc } from '../src/report/svg.ts';
import { maxDelta } from '../src/results.ts';

describe('registry listing', () => {
  it('accepts {models:[...]} or an array, newest version first, and skips junk', () => {
    expect(parseModelList({ models: [{ name: 'a', versions: [1, 3, 2] }, { name: 'b', latest: 4 }, { nope: 1 }] })).toEqual([
      { name: 'a', version: 3 },
      { name: 'a', version: 2 },
      { name: 'a', version: 1 },
      { name: 'b', version: 4 },
    ]);
    expect(parseModelList([{ name: 'c', versions: [{ version: 2 }] }])).toEqual([{ name: 'c', version: 2 }]);
    expect(parseModelList({ error: 'x' })).toEqual([]);
  });

  it('builds relative, escaped URLs on the page origin', () => {
    expect(modelUrl({ name: 'my model', version: 2 })).toBe('v1/models/my%20model/versions/2/model.onnx');
    expect(reportUrl({ name: 'm', version: 1 })).toBe('v1/models/m/versions/1/report.json');
  });
});

describe('report parsing and pictures', () => {
  const report = { accuracy: 0.5, labels: ['a', '<b>'], confusion: [[3, 1], [2, 4]], perClass: [{ label: 'a', precision: 0.6, recall: 0.75, f1: 0.67, support: 4 }] };

  it('parses a report and rejects a confusion matrix that does not match the labels', () => {
    const r = parseReport(report);
    expect(r.confusion).toEqual([[3, 1], [2, 4]]);
    expect(r.perClass[0]?.recall).toBe(0.75);
    expect(() => parseReport({ labels: ['a', 'b'], confusion: [[1, 2]] })).toThrow(/square "confusion"/);
  });

  it('parses history.jsonl and names the bad line', () => {
    const rows = parseHistoryJsonl('{"phase":"phase1","epoch":1,"loss":0.9,"acc":0.5}\n\n{"phase":"phase2","epoch":2,"loss":0.5,"val_loss":0.6}\n');
    expect(rows.map((r) => [r.phase, r.epoch, r.loss])).toEqual([
      ['phase1', 1, 0.9],
      ['phase2', 2, 0.5],
    ]);
    expect(() => parseHistoryJsonl('{"epoch":1}\nnot json')).toThrow(/line 2/);
  });

  it('draws one cell per (actual, predicted) pair with escaped labels', () => {
    const svg = confusionSvg(report.labels, report.confusion);
    expect(svg.match(/class="cm-cell"/g)?.length).toBe(4);
    expect(svg).toContain('data-actual="&lt;b&gt;" data-predicted="a" data-count="2"');
    expect(svg).not.toContain('<b>');
    expect(esc(`"'&`)).toBe('&quot;&#39;&amp;');
  });

  it('draws train and validation curves, nothing without data', () => {
    const rows = parseHistoryJsonl('{"epoch":1,"loss":1,"val_loss":1.2}\n{"epoch":2,"loss":0.5,"val_loss":0.7}');
    expect(curveSvg('Loss', rows, 'loss', 'val_loss').match(/<polyline/g)?.length).toBe(2);
    expect(curveSvg('Accuracy', rows, 'acc', 'val_acc')).toBe('');
  });

  it('measures browser/server disagreement over shared labels', () => {
    expect(maxDelta([{ label: 'a', probability: 0.7 }, { label: 'b', probability: 0.3 }], [{ label: 'b', probability: 0.25 }])).toBeCloseTo(0.05, 12);
  });
});
