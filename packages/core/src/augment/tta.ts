/**
 * Test-time augmentation (TTA): each image is classified as a few fixed views — itself, its
 * mirror image, and two crops of 90 % of each side (top-left and bottom-right) resized back — and
 * the views' probabilities are averaged. The views are deterministic, so every surface that uses
 * them (`eval --tta`, `predict --tta`) sees the same pixels.
 */
import { resizeRgb } from '../preprocess/resize.ts';

/** Number of views per image. */
export const TTA_VIEWS = 4;

/** Side of the crops, as a share of the image side. */
export const TTA_CROP = 0.9;

function flip(rgb: Uint8Array, h: number, w: number): Uint8Array {
  const out = new Uint8Array(rgb.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out.set(rgb.subarray((y * w + x) * 3, (y * w + x) * 3 + 3), (y * w + (w - 1 - x)) * 3);
  return out;
}

function crop(rgb: Uint8Array, h: number, w: number, top: number, left: number, ch: number, cw: number): Uint8Array {
  const out = new Uint8Array(ch * cw * 3);
  for (let y = 0; y < ch; y++) out.set(rgb.subarray(((top + y) * w + left) * 3, ((top + y) * w + left + cw) * 3), y * cw * 3);
  return resizeRgb(out, [ch, cw], [h, w], 'stretch');
}

/**
 * The TTA views of one RGB uint8 HWC image at the model's input size, in a fixed order:
 * identity, horizontal flip, top-left crop, bottom-right crop (each at the same size).
 */
export function ttaViews(rgb: Uint8Array, size: readonly [number, number]): Uint8Array[] {
  const [h, w] = size;
  if (rgb.length !== h * w * 3) throw new RangeError(`ttaViews: expected ${h}x${w}x3 = ${h * w * 3} bytes, got ${rgb.length}`);
  const ch = Math.max(1, Math.round(h * TTA_CROP));
  const cw = Math.max(1, Math.round(w * TTA_CROP));
  return [rgb, flip(rgb, h, w), crop(rgb, h, w, 0, 0, ch, cw), crop(rgb, h, w, h - ch, w - cw, ch, cw)];
}

/** Averages `views` consecutive rows per image of row-major probabilities [n·views, classes] into [n, classes]. */
export function averageViews(probs: ArrayLike<number>, views: number, classes: number): Float32Array {
  const n = probs.length / (views * classes);
  if (!Number.isInteger(n)) throw new RangeError(`averageViews: ${probs.length} values are not a whole number of ${views} views × ${classes} classes`);
  const out = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) {
    for (let v = 0; v < views; v++) for (let c = 0; c < classes; c++) out[i * classes + c] = (out[i * classes + c] as number) + (probs[(i * views + v) * classes + c] as number) / views;
  }
  return out;
}
