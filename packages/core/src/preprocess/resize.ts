import type { ResizeMode } from '../specs/preprocess.ts';

/** A rectangle in pixels. */
export interface PixelRect {
  top: number;
  left: number;
  height: number;
  width: number;
}

/**
 * How a source of srcH×srcW becomes dstH×dstW: scale the whole source to `scaled`, keep
 * `crop` of it, and place that at `offset` in the output (the rest is padding).
 */
export interface ResizeGeometry {
  /** [height, width] the whole source is scaled to. */
  scaled: [number, number];
  /** Region of the scaled image that is kept (cover: centre crop; otherwise all of it). */
  crop: PixelRect;
  /** Top-left corner of the kept region in the output (contain: centred padding; otherwise 0,0). */
  offset: { top: number; left: number };
  /** [height, width] of the output. */
  output: [number, number];
}

/**
 * The resize geometry Headstart uses everywhere, defined to equal sharp's
 * `resize(w, h, { fit })` with the default centre position (a test checks this against sharp):
 * - `stretch` (sharp `fill`): scale each axis to the target independently.
 * - `cover`: one scale factor `min(srcW/dstW, srcH/dstH)` (as a shrink), scaled sizes
 *   `round(src / shrink)`, then a centre crop at `floor((scaled - dst + 1) / 2)`.
 * - `contain`: shrink `max(srcW/dstW, srcH/dstH)`, scaled sizes `round(src / shrink)`
 *   (at least 1), then centred padding at `floor((dst - scaled) / 2)`.
 */
export function computeResizeGeometry(src: [number, number], dst: [number, number], mode: ResizeMode): ResizeGeometry {
  const [srcH, srcW] = src;
  const [dstH, dstW] = dst;
  for (const v of [srcH, srcW, dstH, dstW]) {
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`computeResizeGeometry: sizes must be positive integers, got src ${src} dst ${dst}`);
  }
  if (mode === 'stretch') {
    return { scaled: [dstH, dstW], crop: { top: 0, left: 0, height: dstH, width: dstW }, offset: { top: 0, left: 0 }, output: [dstH, dstW] };
  }
  const hs = srcW / dstW;
  const vs = srcH / dstH;
  const shrink = mode === 'cover' ? Math.min(hs, vs) : Math.max(hs, vs);
  // Exactly-fitting axes keep the target size (no rounding drift).
  const sw = shrink === hs ? dstW : Math.max(1, Math.round(srcW / shrink));
  const sh = shrink === vs ? dstH : Math.max(1, Math.round(srcH / shrink));
  if (mode === 'cover') {
    const left = Math.floor((sw - dstW + 1) / 2);
    const top = Math.floor((sh - dstH + 1) / 2);
    return { scaled: [sh, sw], crop: { top, left, height: dstH, width: dstW }, offset: { top: 0, left: 0 }, output: [dstH, dstW] };
  }
  return {
    scaled: [sh, sw],
    crop: { top: 0, left: 0, height: sh, width: sw },
    offset: { top: Math.floor((dstH - sh) / 2), left: Math.floor((dstW - sw) / 2) },
    output: [dstH, dstW],
  };
}

/** Per-output-sample source taps of a triangle (bilinear) filter, widened when shrinking (antialiased). */
function triangleTaps(srcLen: number, scaledLen: number, start: number, outLen: number): { idx: Int32Array; wt: Float64Array; taps: number } {
  const ratio = srcLen / scaledLen;
  const support = Math.max(1, ratio);
  const taps = Math.ceil(support) * 2 + 1;
  const idx = new Int32Array(outLen * taps);
  const wt = new Float64Array(outLen * taps);
  for (let i = 0; i < outLen; i++) {
    const centre = (start + i + 0.5) * ratio - 0.5;
    const lo = Math.ceil(centre - support);
    let sum = 0;
    for (let t = 0; t < taps; t++) {
      const j = lo + t;
      const w = Math.max(0, 1 - Math.abs(j - centre) / support);
      idx[i * taps + t] = Math.min(srcLen - 1, Math.max(0, j));
      wt[i * taps + t] = w;
      sum += w;
    }
    for (let t = 0; t < taps; t++) wt[i * taps + t]! /= sum;
  }
  return { idx, wt, taps };
}

/**
 * Resize one RGB uint8 HWC image to `dst` [h, w] with the shared geometry
 * (`computeResizeGeometry`) and an antialiased bilinear (triangle) filter; padding is
 * `background` (default black, like sharp). Geometry is identical to sharp's; pixel values
 * differ slightly from sharp's lanczos3 (under half a level on average when shrinking; up to
 * a few levels when enlarging, where libvips uses a different pixel-centre convention).
 * The one resampler of every surface: core's decodeImage (Node), the browser page and the trainer.
 */
export function resizeRgb(
  rgb: Uint8Array | Uint8ClampedArray,
  src: [number, number],
  dst: [number, number],
  mode: ResizeMode = 'cover',
  background: [number, number, number] = [0, 0, 0],
): Uint8Array {
  const [srcH, srcW] = src;
  if (rgb.length !== srcH * srcW * 3) throw new RangeError(`resizeRgb: expected ${srcH}x${srcW}x3 = ${srcH * srcW * 3} bytes, got ${rgb.length}`);
  const g = computeResizeGeometry(src, dst, mode);
  const [dstH, dstW] = g.output;
  const out = new Uint8Array(dstH * dstW * 3);
  if (mode === 'contain') {
    for (let i = 0; i < out.length; i += 3) out.set(background, i);
  }
  const { crop } = g;
  const hx = triangleTaps(srcW, g.scaled[1], crop.left, crop.width);
  const vy = triangleTaps(srcH, g.scaled[0], crop.top, crop.height);
  // Horizontal pass: srcH × crop.width, float.
  const tmp = new Float64Array(srcH * crop.width * 3);
  for (let y = 0; y < srcH; y++) {
    const row = y * srcW * 3;
    for (let x = 0; x < crop.width; x++) {
      let r = 0;
      let gg = 0;
      let b = 0;
      for (let t = 0; t < hx.taps; t++) {
        const w = hx.wt[x * hx.taps + t]!;
        if (w === 0) continue;
        const p = row + hx.idx[x * hx.taps + t]! * 3;
        r += rgb[p]! * w;
        gg += rgb[p + 1]! * w;
        b += rgb[p + 2]! * w;
      }
      const q = (y * crop.width + x) * 3;
      tmp[q] = r;
      tmp[q + 1] = gg;
      tmp[q + 2] = b;
    }
  }
  // Vertical pass into the output at the offset.
  for (let y = 0; y < crop.height; y++) {
    for (let x = 0; x < crop.width; x++) {
      let r = 0;
      let gg = 0;
      let b = 0;
      for (let t = 0; t < vy.taps; t++) {
        const w = vy.wt[y * vy.taps + t]!;
        if (w === 0) continue;
        const p = (vy.idx[y * vy.taps + t]! * crop.width + x) * 3;
        r += tmp[p]! * w;
        gg += tmp[p + 1]! * w;
        b += tmp[p + 2]! * w;
      }
      const q = ((y + g.offset.top) * dstW + x + g.offset.left) * 3;
      out[q] = Math.min(255, Math.max(0, Math.round(r)));
      out[q + 1] = Math.min(255, Math.max(0, Math.round(gg)));
      out[q + 2] = Math.min(255, Math.max(0, Math.round(b)));
    }
  }
  return out;
}
