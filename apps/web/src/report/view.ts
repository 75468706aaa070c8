import type { ReportData } from './parse.ts';
import { confusionSvg, curveSvg, esc } from './svg.ts';

const pct = (v: number | undefined): string => (v === undefined ? '–' : `${(v * 100).toFixed(1)} %`);

/** Renders a run report (summary, curves, confusion matrix, per-class table) into `el`. */
export function renderReport(el: HTMLElement, r: ReportData): void {
  const topK = Object.entries(r.topK)
    .map(([k, v]) => `<li>top-${esc(k.replace(/^top-?/, ''))}: ${pct(v)}</li>`)
    .join('');
  const curves = [
    ['Loss', curveSvg('Loss', r.history, 'loss', 'val_loss')],
    ['Accuracy', curveSvg('Accuracy', r.history, 'acc', 'val_acc')],
  ].filter(([, svg]) => svg);
  const rows = r.perClass
    .map(
      (p) =>
        `<tr><th scope="row">${esc(p.label)}</th><td>${p.precision.toFixed(3)}</td><td>${p.recall.toFixed(3)}</td><td>${p.f1.toFixed(3)}</td><td>${p.support}</td></tr>`,
    )
    .join('');
  const pairs = r.confusedPairs
    .slice(0, 5)
    .map((p) => `<li>${esc(p.actual)} → ${esc(p.predicted)}: ${p.count}</li>`)
    .join('');
  el.innerHTML =
    `<ul class="summary"><li>accuracy: <strong>${pct(r.accuracy)}</strong></li><li>macro F1: ${r.macroF1 === undefined ? '–' : r.macroF1.toFixed(3)}</li>${topK}</ul>` +
    (curves.length
      ? `<h3>Training curves</h3><p class="legend"><span class="key train"></span> train <span class="key val"></span> validation <span class="key phase"></span> phase change</p>` +
        `<div class="curves">${curves.map(([title, svg]) => `<figure>${svg}<figcaption>${title}</figcaption></figure>`).join('')}</div>`
      : '<p class="hint">No training history in this report (drop history.jsonl too to see the curves).</p>') +
    `<h3>Confusion matrix</h3><div class="scroll">${confusionSvg(r.labels, r.confusion)}</div>` +
    (pairs ? `<h3>Most confused</h3><ol>${pairs}</ol>` : '') +
    (rows
      ? `<h3>Per class</h3><div class="scroll"><table><thead><tr><th scope="col">class</th><th scope="col">precision</th><th scope="col">recall</th><th scope="col">F1</th><th scope="col">support</th></tr></thead><tbody>${rows}</tbody></table></div>`
      : '');
}
