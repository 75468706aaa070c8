/** The report's test-time augmentation section: what averaging the TTA views changed, and what it cost. */
import type { EvalReport } from '@headstart/core';
import { TTA_CROP } from '@headstart/core';

const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;

/** One line on TTA's gain and cost, shared by the report page and `headstart eval`. */
export function ttaSummary(r: EvalReport): string | undefined {
  const t = r.tta;
  if (!t) return undefined;
  const gain = (r.accuracy - t.accuracyWithout) * 100;
  const cost = t.secondsWithout > 0 ? `${(t.seconds / t.secondsWithout).toFixed(1)}× the prediction time` : 'prediction time not measurable';
  return `test-time augmentation (${t.views} views: the image, its mirror, two ${Math.round(TTA_CROP * 100)} % crops; averaged): accuracy ${pct(r.accuracy)} vs ${pct(t.accuracyWithout)} without (${gain >= 0 ? '+' : ''}${gain.toFixed(1)} points), ${cost} (${t.seconds.toFixed(2)} s vs ${t.secondsWithout.toFixed(2)} s)`;
}

/** The TTA section of report.html (empty string without TTA). */
export function ttaSection(r: EvalReport): string {
  const line = ttaSummary(r);
  return line ? `<h2>Test-time augmentation</h2><p>${line.charAt(0).toUpperCase()}${line.slice(1)}. Every number on this page is with TTA.</p>` : '';
}
