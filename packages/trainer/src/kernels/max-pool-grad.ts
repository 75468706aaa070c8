import * as tf from '@tensorflow/tfjs-core';
import { type ConvGeometry, padOrCrop, tapWindow } from './conv-geometry.ts';

/** Attributes of the MaxPoolGrad kernel. */
export interface PoolGradOptions {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Puts a [N, outH, outW, C] tap contribution back at its input positions (stride-spread, offset). */
function place(t: tf.Tensor4D, g: ConvGeometry, offH: number, offW: number): tf.Tensor {
  const [n, oh, ow, c] = t.shape;
  const sh = g.strideHeight;
  const sw = g.strideWidth;
  let spread: tf.Tensor = t;
  if (sh > 1 || sw > 1) {
    const six = tf.pad(tf.reshape(t, [n, oh, 1, ow, 1, c]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
    spread = tf.reshape(six, [n, oh * sh, ow * sw, c]);
  }
  return padOrCrop(spread, 1, [
    [offH, g.inHeight - offH - oh * sh],
    [offW, g.inWidth - offW - ow * sw],
  ]);
}

/**
 * Gradient of maxPool (NHWC) from ops: per window tap, a mask of where the input equals the
 * pooled maximum (first tap wins ties, like the cpu backend), times dy, placed back.
 * Replaces the wasm MaxPoolGrad kernel, which drops the gradient of windows whose maximum is negative.
 */
export function maxPoolInputGrad(dy: tf.Tensor4D, x: tf.Tensor4D, y: tf.Tensor4D, o: PoolGradOptions): tf.Tensor4D {
  return tf.tidy(() => {
    const g = tf.backend_util.computePool2DInfo(x.shape, o.filterSize, o.strides, 1, o.pad, o.dimRoundingMode);
    const { top, bottom, left, right } = g.padInfo;
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
