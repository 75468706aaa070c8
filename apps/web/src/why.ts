/** The "why" view: the model's Grad-CAM heat map for the top label, drawn over the image the model saw. */
import { classChannel, normalizeHeat, overlayHeat } from '@headstart/core';
import type { WebClassification } from '@headstart/inference/web';

/** What the page shows in the why view for one classification. */
export type WhyState = { drawn: true; label: string } | { drawn: false; reason: string };

/**
 * Draws the heat map of `label` over `result.pixels` on `canvas` (size of the model input), or
 * returns why it cannot: the model has no Grad-CAM output `cam`.
 */
export function drawWhy(canvas: HTMLCanvasElement, result: WebClassification, labels: readonly string[], size: [number, number], label: string): WhyState {
  const cam = result.cam;
  if (!cam) {
    return {
      drawn: false,
      reason:
        'This model has no Grad-CAM output (it was exported before Headstart added one, or its head has dense blocks, whose gradients depend on the image). Re-export it with headstart export RUN, or run headstart explain RUN image.png on the run folder.',
    };
  }
  const index = labels.indexOf(label);
  if (index < 0) return { drawn: false, reason: `label ${label} is not one of the model's labels` };
  const [h, w] = size;
  const heat = normalizeHeat(classChannel(cam.data, cam.height, cam.width, cam.classes, index));
  const rgb = overlayHeat(result.pixels, h, w, heat);
  const rgba = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) rgba.set([rgb[i * 3] ?? 0, rgb[i * 3 + 1] ?? 0, rgb[i * 3 + 2] ?? 0, 255], i * 4);
  canvas.width = w;
  canvas.height = h;
  canvas.getContext('2d')?.putImageData(new ImageData(rgba, w, h), 0, 0);
  return { drawn: true, label };
}
