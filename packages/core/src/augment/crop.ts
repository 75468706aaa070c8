import type { PixelRect } from '../preprocess/resize.ts';
import type { Rng } from '../random/rng.ts';

/**
 * torchvision's RandomResizedCrop box: up to 10 tries of an area fraction uniform in `scale`
 * and a log-uniform aspect ratio (w/h) in `ratio`; if none fits, a centre crop with the ratio
 * clamped into range.
 */
export function sampleResizedCrop(h: number, w: number, scale: [number, number], ratio: [number, number], rng: Rng): PixelRect {
  const area = h * w;
  const logLo = Math.log(Math.min(ratio[0], ratio[1]));
  const logHi = Math.log(Math.max(ratio[0], ratio[1]));
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const cw = Math.round(Math.sqrt(target * aspect));
    const ch = Math.round(Math.sqrt(target / aspect));
    if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
      return { top: rng.int(h - ch + 1), left: rng.int(w - cw + 1), height: ch, width: cw };
    }
  }
  const inRatio = w / h;
  let cw: number;
  let ch: number;
  if (inRatio < Math.exp(logLo)) {
    cw = w;
    ch = Math.round(w / Math.exp(logLo));
  } else if (inRatio > Math.exp(logHi)) {
    ch = h;
    cw = Math.round(h * Math.exp(logHi));
  } else {
    cw = w;
    ch = h;
  }
  return { top: Math.floor((h - ch) / 2), left: Math.floor((w - cw) / 2), height: ch, width: cw };
}

/** Copy a rectangle out of an RGB uint8 HWC image. */
export function cropRgb(rgb: Uint8Array, w: number, r: PixelRect): Uint8Array {
  const out = new Uint8Array(r.height * r.width * 3);
  for (let y = 0; y < r.height; y++) {
    const from = ((r.top + y) * w + r.left) * 3;
    out.set(rgb.subarray(from, from + r.width * 3), y * r.width * 3);
  }
  return out;
}
