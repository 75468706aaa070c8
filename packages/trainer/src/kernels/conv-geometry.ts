import * as tf from '@tensorflow/tfjs-core';

/** Geometry of a 2-D (depthwise) convolution, as tfjs computes it for NHWC tensors. */
export type ConvGeometry = tf.backend_util.Conv2DInfo;

/** Padding accepted by the tfjs convolution kernels. */
export type ConvPad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

/** Normalises a stride/dilation attribute (number or pair) to a pair. */
export function pair(v: number | [number, number] | number[] | undefined, fallback = 1): [number, number] {
  if (v === undefined) return [fallback, fallback];
  if (typeof v === 'number') return [v, v];
  return [v[0] ?? fallback, v[1] ?? v[0] ?? fallback];
}

/**
 * Pads (positive amounts) or crops (negative amounts) the two spatial axes `axisH`, `axisH + 1`
 * of `t`; `amounts` is [[top, bottom], [left, right]].
 */
export function padOrCrop(t: tf.Tensor, axisH: number, amounts: [[number, number], [number, number]]): tf.Tensor {
  const rank = t.rank;
  const padSpec: [number, number][] = Array.from({ length: rank }, () => [0, 0]);
  const begin: number[] = new Array<number>(rank).fill(0);
  let needPad = false;
  let needCrop = false;
  for (let k = 0; k < 2; k++) {
    const [lo, hi] = amounts[k] as [number, number];
    padSpec[axisH + k] = [Math.max(0, lo), Math.max(0, hi)];
    if (lo > 0 || hi > 0) needPad = true;
    if (lo < 0 || hi < 0) needCrop = true;
  }
  let out = needPad ? tf.pad(t, padSpec) : t;
  if (needCrop) {
    const size = out.shape.slice();
    for (let k = 0; k < 2; k++) {
      const [lo, hi] = amounts[k] as [number, number];
      const cropLo = Math.max(0, -lo);
      const cropHi = Math.max(0, -hi);
      begin[axisH + k] = cropLo;
      size[axisH + k] = (size[axisH + k] as number) - cropLo - cropHi;
    }
    out = tf.slice(out, begin, size);
  }
  return out;
}

/**
 * Padding ([[top, bottom], [left, right]]) that makes every filter tap's window readable by
 * `tapWindow`: the convolution's own padding, plus extra rows/columns at the end so that strided
 * windows can be read as a plain slice of outH*strideH rows.
 */
export function tapPadding(g: ConvGeometry): [[number, number], [number, number]] {
  const { top, bottom, left, right } = g.padInfo;
  const spanH = (g.filterHeight - 1) * g.dilationHeight + g.outHeight * g.strideHeight;
  const spanW = (g.filterWidth - 1) * g.dilationWidth + g.outWidth * g.strideWidth;
  const extraH = g.strideHeight > 1 ? Math.max(0, spanH - (top + g.inHeight + bottom)) : 0;
  const extraW = g.strideWidth > 1 ? Math.max(0, spanW - (left + g.inWidth + right)) : 0;
  return [
    [top, bottom + extraH],
    [left, right + extraW],
  ];
}

/**
 * The window of `t` (spatial axes at `axisH`, `axisH + 1`) read by filter tap (kh, kw):
 * rows kh*dh + y*sh for y < outH, columns likewise. `t` must be padded with `tapPadding`.
 * Strided windows are read as slice → reshape [outH, sh, outW, sw] → slice, which is several
 * times faster on wasm than StridedSlice.
 */
export function tapWindow(t: tf.Tensor, axisH: number, g: ConvGeometry, kh: number, kw: number): tf.Tensor {
  if (axisH === 1 && t.rank === 4) return nhwcTapWindow(t as tf.Tensor4D, g, kh, kw);
  const begin = new Array<number>(t.rank).fill(0);
  begin[axisH] = kh * g.dilationHeight;
  begin[axisH + 1] = kw * g.dilationWidth;
  const sh = g.strideHeight;
  const sw = g.strideWidth;
  const size = t.shape.slice();
  size[axisH] = g.outHeight * sh;
  size[axisH + 1] = g.outWidth * sw;
  const rows = tf.slice(t, begin, size);
  if (sh === 1 && sw === 1) return rows;
  // Fold leading and trailing axes so both slices stay rank 4 (wasm's fast Slice path).
  const pre = t.shape.slice(0, axisH);
  const post = t.shape.slice(axisH + 2);
  const p = pre.reduce((a, b) => a * b, 1);
  const q = post.reduce((a, b) => a * b, 1);
  const split = tf.reshape(rows, [p * g.outHeight, sh, g.outWidth, sw * q]);
  const picked = tf.slice(split, [0, 0, 0, 0], [p * g.outHeight, 1, g.outWidth, q]);
  return tf.reshape(picked, [...pre, g.outHeight, g.outWidth, ...post]);
}

/**
 * NHWC tap window with width and channels folded into one axis, so wasm's JS Slice copies long
 * contiguous runs (outW*C floats) instead of one run per pixel.
 */
function nhwcTapWindow(t: tf.Tensor4D, g: ConvGeometry, kh: number, kw: number): tf.Tensor4D {
  const [n, hp, wp, c] = t.shape;
  const sh = g.strideHeight;
  const sw = g.strideWidth;
  const oh = g.outHeight;
  const ow = g.outWidth;
  const flat = tf.reshape(t, [n, hp, wp * c]);
  const rows = tf.slice(flat, [0, kh * g.dilationHeight, kw * g.dilationWidth * c], [n, oh * sh, ow * sw * c]);
  if (sh === 1 && sw === 1) return tf.reshape(rows, [n, oh, ow, c]);
  const everyRow = tf.slice(tf.reshape(rows, [n * oh, sh, ow * sw * c]), [0, 0, 0], [n * oh, 1, ow * sw * c]);
  const everyCol = tf.slice(tf.reshape(everyRow, [n * oh * ow, sw * c]), [0, 0], [n * oh * ow, c]);
  return tf.reshape(everyCol, [n, oh, ow, c]);
}

/** Inserts zeros after every row (sh-1) and column (sw-1) of an NHWC tensor, using rank-4 ops only. */
export function spreadRows(t: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  const [n, h, w, c] = t.shape;
  const folded = tf.reshape(t, [n * h, 1, w, c]);
  const padded = tf.pad(folded, [[0, 0], [0, sh - 1], [0, 0], [0, (sw - 1) * c]]);
  return tf.reshape(padded, [n, h * sh, w * sw, c]);
}

/**
 * Turns an output gradient dy [N, outH, outW, C] into the input of the equivalent stride-1
 * forward convolution whose result is the input gradient: zeros inserted between rows and
 * columns for strides > 1, then padded/cropped so a 'valid' convolution with the flipped
 * filter (dilated like the forward one) yields exactly [N, inH, inW, C].
 */
export function spreadOutputGradient(dy: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const [, oh, ow] = dy.shape;
  let spread: tf.Tensor = dy;
  let lenH = oh;
  let lenW = ow;
  if (g.strideHeight > 1 || g.strideWidth > 1) {
    const sh = g.strideHeight;
    const sw = g.strideWidth;
    spread = spreadRows(dy, sh, sw);
    lenH = oh * sh;
    lenW = ow * sw;
  }
  const effH = (g.filterHeight - 1) * g.dilationHeight;
  const effW = (g.filterWidth - 1) * g.dilationWidth;
  const top = effH - g.padInfo.top;
  const left = effW - g.padInfo.left;
  const bottom = g.inHeight + effH - top - lenH;
  const right = g.inWidth + effW - left - lenW;
  return padOrCrop(spread, 1, [[top, bottom], [left, right]]) as tf.Tensor4D;
}
