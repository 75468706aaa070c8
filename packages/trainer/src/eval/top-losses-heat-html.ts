/**
 * The report's Grad-CAM section: for each top loss, where the model looked for the label it
 * predicted and for the label the image has (heat maps over the image as the model saw it).
 */
import { isHeadstartError, normalizeHeat, overlayHeat, type EvalReport, type PreprocessSpec } from '@headstart/core';
import { thumbnailDataUri } from '@headstart/core-node';
import { GradCam, type GradCamResult } from '../explain/grad-cam.ts';
import type { LayersModel } from '../tf.ts';
import { esc } from './report-charts.ts';

/** Heat maps of the top losses, keyed by sample index, or why there are none. */
export type TopLossHeat = { maps: Record<number, { predicted: string; actual: string }> } | { unavailable: string };

/** Side of the heat-map thumbnails on the page, in pixels. */
const HEAT_THUMB = 112;

/** Computes Grad-CAM overlays (as data: URIs) of the top losses for their predicted and actual labels. */
export async function topLossHeatMaps(model: LayersModel, pixels: readonly Uint8Array[], report: EvalReport, labels: string[], spec: PreprocessSpec): Promise<TopLossHeat> {
  let cam: GradCam;
  try {
    cam = GradCam.forModel(model);
  } catch (e) {
    if (isHeadstartError(e, 'EXPLAIN_UNAVAILABLE')) return { unavailable: e.message };
    throw e;
  }
  const [h, w] = spec.size;
  const maps: Record<number, { predicted: string; actual: string }> = {};
  for (const loss of report.topLosses) {
    const rgb = pixels[loss.index];
    if (!rgb) continue;
    const [predicted, actual] = cam.explainClasses(rgb, spec, [labels.indexOf(loss.predicted), labels.indexOf(loss.actual)]);
    const uri = (r: GradCamResult): Promise<string> => thumbnailDataUri(overlayHeat(rgb, h, w, normalizeHeat(r.heat)), h, w, HEAT_THUMB);
    maps[loss.index] = { predicted: await uri(predicted!), actual: await uri(actual!) };
  }
  return { maps };
}

/** The section's HTML (placed right after the top losses). */
export function topLossHeatSection(report: EvalReport, heat: TopLossHeat | undefined): string {
  if (!heat || report.topLosses.length === 0) return '';
  const intro =
    '<p class="meta">Grad-CAM: red is where the feature map at the head\'s input most raised the score of the label (the spatial mean of d&nbsp;logit / d&nbsp;feature weights each channel).</p>';
  if ('unavailable' in heat) return `<h2>Where the model looked (top losses)</h2><p class="meta">Not available for this run: ${esc(heat.unavailable)}</p>`;
  const figs = report.topLosses
    .map((l) => {
      const m = heat.maps[l.index];
      if (!m) return '';
      const name = esc(l.path ?? `#${l.index}`);
      return `<div class="heat-pair" style="display:flex;gap:6px"><figure><img src="${m.predicted}" alt="heat map for ${esc(l.predicted)}: ${name}"><figcaption>for <b>${esc(l.predicted)}</b> (predicted)</figcaption></figure><figure><img src="${m.actual}" alt="heat map for ${esc(l.actual)}: ${name}"><figcaption>for <b>${esc(l.actual)}</b> (actual)<br><span class="path">${name}</span></figcaption></figure></div>`;
    })
    .join('');
  return `<h2>Where the model looked (top losses)</h2>${intro}<div class="losses heat-maps">${figs}</div>`;
}
