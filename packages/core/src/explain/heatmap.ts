/**
 * Grad-CAM heat maps as plain typed-array math, shared by the CLI (`headstart explain`), the
 * report's top losses and the web page: the weighted sum of a feature map's channels, its
 * normalisation, bilinear upsampling, a colour map and the overlay on the image.
 */

/** A single-channel map, row-major `height × width`. */
export interface HeatMap {
  data: Float32Array;
  height: number;
  width: number;
}

/** Opacity of the heat colours over the image when none is given. */
export const HEAT_OVERLAY_OPACITY = 0.5;

/**
 * Grad-CAM's map ReLU(Σ_k α_k A_k) from a feature map A (NHWC, one image: `h × w × c`) and
 * channel weights α (`c` values).
 */
export function weightedChannelSum(features: Float32Array, height: number, width: number, alpha: ArrayLike<number>): HeatMap {
  const c = alpha.length;
  if (features.length !== height * width * c) throw new RangeError(`feature map has ${features.length} values, expected ${height}×${width}×${c}`);
  const data = new Float32Array(height * width);
  for (let p = 0; p < height * width; p++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += (features[p * c + k] as number) * (alpha[k] as number);
    data[p] = s > 0 ? s : 0;
  }
  return { data, height, width };
}

/**
 * One class's map from a per-class CAM tensor (NHWC, one image: `h × w × classes`, as the
 * exported ONNX `cam` output gives it), with ReLU applied.
 */
export function classChannel(cam: Float32Array, height: number, width: number, classes: number, index: number): HeatMap {
  if (cam.length !== height * width * classes) throw new RangeError(`cam has ${cam.length} values, expected ${height}×${width}×${classes}`);
  if (!Number.isInteger(index) || index < 0 || index >= classes) throw new RangeError(`class index ${index} is outside 0..${classes - 1}`);
  const data = new Float32Array(height * width);
  for (let p = 0; p < height * width; p++) {
    const v = cam[p * classes + index] as number;
    data[p] = v > 0 ? v : 0;
  }
  return { data, height, width };
}

/** Scales a map to [0, 1] by its maximum (an all-zero or non-positive map stays all zeros). */
export function normalizeHeat(map: HeatMap): HeatMap {
  let max = 0;
  for (const v of map.data) if (v > max) max = v;
  const data = new Float32Array(map.data.length);
  if (max > 0 && Number.isFinite(max)) for (let i = 0; i < data.length; i++) data[i] = Math.max(0, (map.data[i] as number) / max);
  return { data, height: map.height, width: map.width };
}

/** Bilinear resize of a map to `height × width` (pixel centres aligned, edges clamped). */
export function resizeHeat(map: HeatMap, height: number, width: number): HeatMap {
  const data = new Float32Array(height * width);
  const sy = map.height / height;
  const sx = map.width / width;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), map.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, map.height - 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), map.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, map.width - 1);
      const wx = fx - x0;
      const at = (yy: number, xx: number): number => map.data[yy * map.width + xx] as number;
      const top = at(y0, x0) * (1 - wx) + at(y0, x1) * wx;
      const bottom = at(y1, x0) * (1 - wx) + at(y1, x1) * wx;
      data[y * width + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return { data, height, width };
}

/** The "jet" colour map: 0 → dark blue, 0.5 → green, 1 → dark red, as RGB 0–255. */
export function heatColor(v: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0));
  const channel = (centre: number): number => Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - centre))));
  return [channel(3), channel(2), channel(1)];
}

/**
 * The image (RGB, `height × width × 3`) with the normalised heat map blended over it:
 * each pixel is (1 − o·h')·image + o·h'·colour(h), h' = 0.35 + 0.65·h so that cold regions
 * stay visible but tinted. The map is resized to the image first.
 */
export function overlayHeat(rgb: Uint8Array, height: number, width: number, heat: HeatMap, opacity = HEAT_OVERLAY_OPACITY): Uint8Array {
  if (rgb.length !== height * width * 3) throw new RangeError(`image has ${rgb.length} bytes, expected ${height}×${width}×3`);
  const map = heat.height === height && heat.width === width ? heat : resizeHeat(heat, height, width);
  const out = new Uint8Array(rgb.length);
  for (let p = 0; p < height * width; p++) {
    const h = map.data[p] as number;
    const colour = heatColor(h);
    const a = opacity * (0.35 + 0.65 * Math.min(1, Math.max(0, h)));
    for (let k = 0; k < 3; k++) out[p * 3 + k] = Math.round((1 - a) * (rgb[p * 3 + k] as number) + a * colour[k]!);
  }
  return out;
}

/** Row and column of the map's largest value (the first one on ties). */
export function heatPeak(map: HeatMap): { row: number; col: number; value: number } {
  let best = 0;
  for (let i = 1; i < map.data.length; i++) if ((map.data[i] as number) > (map.data[best] as number)) best = i;
  return { row: Math.floor(best / map.width), col: best % map.width, value: map.data[best] ?? 0 };
}

/** A Grad-CAM explanation of one image, wherever it was computed (TF.js run or ONNX `cam` output). */
export interface Explanation {
  /** The explained label and its probability (calibrated where the model is). */
  label: string;
  probability: number;
  /** The top label, which is `label` unless another was asked for. */
  top: { label: string; probability: number };
  /** The heat map at the feature map's resolution, scaled to [0, 1]. */
  heat: HeatMap;
  /** The image as the model saw it (RGB, `size`), and the heat map blended over it. */
  pixels: Uint8Array;
  overlay: Uint8Array;
  size: [number, number];
  /** Where it was computed: the TF.js layer whose output was explained, or the ONNX output `cam`. */
  source: string;
}
