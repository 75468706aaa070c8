import { describe, expect, it } from 'vitest';
import type { EvalReport } from '@headstart/core';
import type { EpochRecord } from '../src/train/fit-loop.ts';
import { bestEpoch, renderReportHtml } from '../src/eval/report-html.ts';

const report: EvalReport = {
  source: { data: '/data/holdout', split: 'all', images: 4, modelSha256: 'ab'.repeat(32), evaluatedAt: '2026-12-01T00:00:00.000Z' },
  count: 4, accuracy: 0.75, topK: { top1: 0.75 }, labels: ['cat', 'dog'], confusion: [[2, 0], [1, 1]],
  perClass: [{ label: 'cat', precision: 0.667, recall: 1, f1: 0.8, support: 2 }, { label: 'dog', precision: 1, recall: 0.5, f1: 0.667, support: 2 }],
  macroF1: 0.733, weightedF1: 0.733, confusedPairs: [{ actual: 'dog', predicted: 'cat', count: 1 }],
  topLosses: [{ index: 3, path: 'dog/3.png', actual: 'dog', predicted: 'cat', loss: 1.9, probability: 0.15, predictedProbability: 0.85 }],
};
const rec = (phase: EpochRecord['phase'], epoch: number, val_loss: number): EpochRecord => ({ phase, epoch, loss: 1, acc: 0.5, val_loss, val_acc: 0.6, lr: 1e-3, seconds: 1 });
const history = [rec('phase1', 1, 0.9), rec('phase1', 2, 0.5), rec('phase2', 1, 0.45), rec('phase2', 2, 0.41), rec('phase2', 3, 0.43)];

describe('report.html', () => {
  it('marks the best epoch of the last phase (lowest val loss)', () => {
    expect(bestEpoch(history)).toMatchObject({ index: 3, record: { phase: 'phase2', epoch: 2 } });
    const html = renderReportHtml(report, history, { title: 'runs/a' });
    expect(html).toContain('class="best"');
    expect(html).toContain('Best epoch: <b>phase2 epoch 2</b>');
  });

  it('states what was measured, the settings, the decision, and shows thumbnails', () => {
    const uri = 'data:image/jpeg;base64,AAAA';
    const html = renderReportHtml(report, history, {
      title: 'runs/a',
      settings: { base: 'mobilenet_v2', cut: 'block_12_add' },
      decision: { case: 3, why: 'probe at block_12_add scored 62% vs 41%' },
      images: { byIndex: { 3: uri }, examples: [{ label: 'dog', items: [{ uri, predicted: 'cat' }] }] },
    });
    for (const s of ['/data/holdout', 'ab'.repeat(32), '<th>images</th><td>4</td>', '<th>cut</th><td>block_12_add</td>', 'Why these settings', 'probe at block_12_add scored 62% vs 41%', `<img src="${uri}" alt="dog/3.png">`, '✗ cat']) {
      expect(html).toContain(s);
    }
    expect(html).not.toMatch(/https?:\/\//);
  });
});
