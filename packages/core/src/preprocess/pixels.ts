import type { PreprocessSpec } from '../specs/preprocess.ts';
import { resizeRgb } from './resize.ts';

/**
 * The one "decoded pixels → model-input pixels" pipeline every surface runs (trainer, CLI,
 * API, @headstart/inference node and web): source RGB uint8 at its native size →
 * (`grayscale` specs) Rec. 709 luma on all three channels → `resizeRgb` to `spec.size` with
 * `spec.resize`. Luma comes before the resize, as Keras' `color_mode='grayscale'` converts
 * before resizing. Pure typed-array code, so Node and browsers produce bit-identical bytes.
 */

/** Interleaved RGB (HWC) → Rec. 709 luma `round(0.2126 R + 0.7152 G + 0.0722 B)` on all three channels, in place. */
export function grayscaleRgbInPlace(rgb: Uint8Array): Uint8Array {
  for (let i = 0; i + 2 < rgb.length; i += 3) {
    const r = rgb[i]!;
    const g = rgb[i + 1]!;
    const b = rgb[i + 2]!;
    const l = r === g && g === b ? r : Math.round(0.2126 * r + 0.7152 * g + 0.0722 * b);
    rgb[i] = l;
    rgb[i + 1] = l;
    rgb[i + 2] = l;
  }
  return rgb;
}

/**
 * Interleaved RGBA (or any `channels`-interleaved pixels, 1–4 channels) → RGB: 1 or 2 channels
 * (grey, grey+alpha) replicate the grey value; 3 or 4 keep R, G, B. Alpha is DROPPED, not
 * flattened onto a background: PIL's `convert('RGB')` (Keras loaders) drops it too, and a
 * browser can read unpremultiplied RGB exactly, so every surface agrees on every pixel.
 */
export function dropAlphaToRgb(px: ArrayLike<number>, pixels: number, channels: number): Uint8Array {
  if (!Number.isInteger(channels) || channels < 1 || channels > 4) throw new RangeError(`dropAlphaToRgb: channels must be 1..4, got ${channels}`);
  if (px.length < pixels * channels) throw new RangeError(`dropAlphaToRgb: expected ${pixels * channels} values, got ${px.length}`);
  const out = new Uint8Array(pixels * 3);
  const grey = channels < 3;
  for (let i = 0; i < pixels; i++) {
    const s = i * channels;
    const r = px[s]!;
    out[i * 3] = r;
    out[i * 3 + 1] = grey ? r : px[s + 1]!;
    out[i * 3 + 2] = grey ? r : px[s + 2]!;
  }
  return out;
}

/** What `toModelPixels` reads from a PreprocessSpec. */
export type PixelSpec = Pick<PreprocessSpec, 'size' | 'resize'> & { grayscale?: boolean | undefined };

/**
 * Native-size RGB uint8 (`src` = [height, width]) → the model's input pixels (RGB uint8 of
 * `spec.size`): luma for grayscale specs, then `resizeRgb`. Never mutates `rgb`.
 */
export function toModelPixels(rgb: Uint8Array | Uint8ClampedArray, src: [number, number], spec: PixelSpec): Uint8Array {
  const input = spec.grayscale ? grayscaleRgbInPlace(Uint8Array.from(rgb)) : rgb;
  return resizeRgb(input, src, [spec.size[0], spec.size[1]], spec.resize);
}
