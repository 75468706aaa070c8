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
 * The window of `t` (spatial axes at `axisH`, `axisH + 1`) read by filter tap (kh, kw):
 * rows kh*dh + y*sh for y < outH, columns likewise. `t` must already be padded.
 */
export function tapWindow(t: tf.Tensor, axisH: number, g: ConvGeometry, kh: number, kw: number): tf.Tensor {
  const begin = new Array<number>(t.rank).fill(0);
  const h0 = kh * g.dilationHeight;
  const w0 = kw * g.dilationWidth;
  begin[axisH] = h0;
  begin[axisH + 1] = w0;
  if (g.strideHeight === 1 && g.strideWidth === 1) {
    const size = t.shape.slice();
    size[axisH] = g.outHeight;
    size[axisH + 1] = g.outWidth;
    return tf.slice(t, begin, size);
  }
  const end = t.shape.slice();
  end[axisH] = h0 + (g.outHeight - 1) * g.strideHeight + 1;
  end[axisH + 1] = w0 + (g.outWidth - 1) * g.strideWidth + 1;
  const strides = new Array<number>(t.rank).fill(1);
  strides[axisH] = g.strideHeight;
  strides[axisH + 1] = g.strideWidth;
  return tf.stridedSlice(t, begin, end, strides);
}

/**
 * Turns an output gradient dy [N, outH, outW, C] into the input of the equivalent stride-1
 * forward convolution whose result is the input gradient: zeros inserted between rows and
 * columns for strides > 1, then padded/cropped so a 'valid' convolution with the flipped
 * filter (dilated like the forward one) yields exactly [N, inH, inW, C].
 */
export function spreadOutputGradient(dy: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const [n, oh, ow, c] = dy.shape;
  let spread: tf.Tensor = dy;
  let lenH = oh;
  let lenW = ow;
  if (g.strideHeight > 1 || g.strideWidth > 1) {
    const sh = g.strideHeight;
    const sw = g.strideWidth;
    const six = tf.reshape(dy, [n, oh, 1, ow, 1, c]);
    const padded = tf.pad(six, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
    spread = tf.reshape(padded, [n, oh * sh, ow * sw, c]);
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
