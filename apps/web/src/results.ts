import type { Prediction } from '@headstart/inference/web';
import { esc } from './report/svg.ts';

/** Renders ranked predictions as labelled bars; each item carries data-label and the exact data-probability. */
export function renderPredictions(el: HTMLElement, preds: { label: string; probability: number }[], caption: string): void {
  el.innerHTML =
    `<p class="caption">${esc(caption)}</p><ol class="bars">` +
    preds
      .map(
        (p) =>
          `<li data-label="${esc(p.label)}" data-probability="${p.probability}">` +
          `<span class="label">${esc(p.label)}</span>` +
          `<span class="bar" role="meter" aria-label="${esc(p.label)}" aria-valuemin="0" aria-valuemax="1" aria-valuenow="${p.probability}"><span style="width:${(p.probability * 100).toFixed(2)}%"></span></span>` +
          `<span class="pct">${(p.probability * 100).toFixed(2)} %</span></li>`,
      )
      .join('') +
    '</ol>';
}

/** Largest |Δprobability| between browser and server over the labels both returned. */
export function maxDelta(a: Prediction[] | { label: string; probability: number }[], b: { label: string; probability: number }[]): number {
  const m = new Map(b.map((p) => [p.label, p.probability]));
  let d = 0;
  for (const p of a) {
    const q = m.get(p.label);
    if (q !== undefined) d = Math.max(d, Math.abs(p.probability - q));
  }
  return d;
}

/** The result line: the answer, and when it is "unknown" the top label it stands in for and the model's threshold. */
export function answerLine(name: string, r: { label: string; unknown: boolean; predictions: { label: string; probability: number }[] }, unknownBelow: number | undefined): string {
  const top = r.predictions[0];
  const pct = (p: number): string => `${(p * 100).toFixed(1)} %`;
  if (!top) return `${name}: ?`;
  if (!r.unknown) return `${name}: ${top.label} (${pct(top.probability)}).`;
  return `${name}: ${r.label} — the top label, ${top.label} (${pct(top.probability)}), is below this model's threshold of ${pct(unknownBelow ?? 0)}.`;
}
