import * as tf from '@tensorflow/tfjs-core';
import { type ConvGeometry, padOrCrop, spreadRows, tapPadding, tapWindow } from './conv-geometry.ts';

/** Attributes of the MaxPoolGrad kernel. */
export interface PoolGradOptions {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Puts a [N, outH, outW, C] tap contribution back at its input positions (stride-spread, offset). */
function place(t: tf.Tensor4D, g: ConvGeometry, offH: number, offW: number): tf.Tensor {
  const [, oh, ow] = t.shape;
  const sh = g.strideHeight;
  const sw = g.strideWidth;
  const spread = sh > 1 || sw > 1 ? spreadRows(t, sh, sw) : t;
  return padOrCrop(spread, 1, [
    [offH, g.inHeight - offH - oh * sh],
    [offW, g.inWidth - offW - ow * sw],
  ]);
}

/** True for the common pooling whose windows tile the input exactly (filter = stride, no padding). */
function isTiling(g: ConvGeometry): boolean {
  return (
    g.filterHeight === g.strideHeight &&
    g.filterWidth === g.strideWidth &&
    g.outHeight * g.strideHeight === g.inHeight &&
    g.outWidth * g.strideWidth === g.inWidth &&
    g.padInfo.top === 0 &&
    g.padInfo.left === 0
  );
}

/** Repeats every pixel of an NHWC tensor sh x sw times (nearest-neighbour upsampling, exact). */
function upsample(t: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  const [n, h, w, c] = t.shape;
  const pow2 = (v: number) => (v & (v - 1)) === 0;
  // Power-of-two ratios are exact in the resize kernel's float index math; others use concat.
  if (pow2(sh) && pow2(sw)) return tf.image.resizeNearestNeighbor(t, [h * sh, w * sw]);
  const rows = tf.concat(new Array<tf.Tensor>(sh).fill(tf.reshape(t, [n * h, 1, w, c])), 1);
  return tf.reshape(tf.concat(new Array<tf.Tensor>(sw).fill(rows), 3), [n, h * sh, w * sw, c]);
}

/**
 * Tiling windows: compare the input with the upsampled maximum; exact ties within a window share
 * the gradient equally (the cpu backend gives it all to the first), so the total is the same.
 * Only rank-4, non-broadcasting ops: wasm runs those natively.
 */
function tilingGrad(dy: tf.Tensor4D, x: tf.Tensor4D, y: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const sh = g.strideHeight;
  const sw = g.strideWidth;
  const mask = tf.cast(tf.equal(x, upsample(y, sh, sw)), 'float32') as tf.Tensor4D;
  const count = tf.mul(tf.avgPool(mask, [sh, sw], [sh, sw], 'valid'), sh * sw);
  return tf.mul(mask, upsample(tf.div(dy, count) as tf.Tensor4D, sh, sw)) as tf.Tensor4D;
}

/**
 * Gradient of maxPool (NHWC) from ops: per window tap, a mask of where the input equals the
 * pooled maximum (first tap wins ties, like the cpu backend), times dy, placed back.
 * Replaces the wasm MaxPoolGrad kernel, which drops the gradient of windows whose maximum is negative.
 */
export function maxPoolInputGrad(dy: tf.Tensor4D, x: tf.Tensor4D, y: tf.Tensor4D, o: PoolGradOptions): tf.Tensor4D {
  return tf.tidy(() => {
    const g = tf.backend_util.computePool2DInfo(x.shape, o.filterSize, o.strides, 1, o.pad, o.dimRoundingMode);
    if (isTiling(g)) return tilingGrad(dy, x, y, g);
    const [[top, bottom], [left, right]] = tapPadding(g);
    const xp = top || bottom || left || right ? tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]], -Infinity) : x;
    let remaining: tf.Tensor = tf.onesLike(dy);
    const parts: tf.Tensor[] = [];
    for (let kh = 0; kh < g.filterHeight; kh++) {
      for (let kw = 0; kw < g.filterWidth; kw++) {
        const hit = tf.mul(tf.cast(tf.equal(tapWindow(xp, 1, g, kh, kw), y), 'float32'), remaining);
        remaining = tf.sub(remaining, hit);
        parts.push(place(tf.mul(dy, hit) as tf.Tensor4D, g, kh - top, kw - left));
      }
    }
    return (parts.length === 1 ? parts[0] : tf.addN(parts)) as tf.Tensor4D;
  });
}
