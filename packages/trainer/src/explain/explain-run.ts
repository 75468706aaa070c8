/** `explainRun`: Grad-CAM of one image file on a finished run's TF.js model (what `headstart explain RUN` calls). */
import { join, resolve } from 'node:path';
import { HeadstartError, normalizeHeat, overlayHeat, type Explanation } from '@headstart/core';
import { readImageFile, verifyRunWeights } from '@headstart/core-node';
import { selectBackend } from '../backend/select-backend.ts';
import { readManifest } from '../run/manifest.ts';
import { loadLayersModelFile } from '../run/model-io.ts';
import { GradCam } from './grad-cam.ts';

/**
 * Explains `image` (a file path) with run `runDir`'s trained model: the top label, or `label`.
 * @example const e = await explainRun('runs/demo', 'shoe.png'); await writeFile('heat.png', await encodePng(e.overlay, ...e.size));
 */
export async function explainRun(runDir: string, image: string, opts: { label?: string } = {}): Promise<Explanation> {
  const dir = resolve(runDir);
  const manifest = await readManifest(dir);
  if (manifest.status !== 'complete') throw new HeadstartError('RUN_INCOMPLETE', `run ${dir} is ${manifest.status}; finish (or resume) it before explaining its predictions`);
  await verifyRunWeights(dir, manifest);
  const labels = manifest.labels;
  const wanted = opts.label === undefined ? undefined : labels.indexOf(opts.label);
  if (wanted === -1) throw new HeadstartError('USAGE', `--label ${opts.label}: run ${dir} has no such label; its labels are ${labels.join(', ')}`);
  const spec = manifest.preprocess;
  const decoded = await readImageFile(image, { size: spec.size, resize: spec.resize });
  await selectBackend('auto');
  const model = await loadLayersModelFile(join(dir, 'model', 'model.json'));
  try {
    const cam = GradCam.forModel(model);
    const temperature = manifest.calibration?.temperature;
    const r = cam.explain(decoded.data, spec, { ...(wanted !== undefined ? { classIndex: wanted } : {}), ...(temperature ? { temperature } : {}) });
    let top = 0;
    r.probabilities.forEach((p, i) => {
      if (p > (r.probabilities[top] as number)) top = i;
    });
    const heat = normalizeHeat(r.heat);
    const [h, w] = spec.size;
    return {
      label: labels[r.classIndex] as string,
      probability: r.probabilities[r.classIndex] as number,
      top: { label: labels[top] as string, probability: r.probabilities[top] as number },
      heat,
      pixels: decoded.data,
      overlay: overlayHeat(decoded.data, h, w, heat),
      size: [h, w],
      source: `TF.js layer ${r.featureLayer}`,
    };
  } finally {
    model.dispose();
  }
}
