import * as tf from '@tensorflow/tfjs-core';
import { spreadOutputGradient, tapPadding, tapWindow } from './conv-geometry.ts';
import { type ConvGradOptions, conv2dGeometry } from './conv2d-grads.ts';

/**
 * Gradient of depthwiseConv2d (NHWC, filter [fh, fw, C, M]) with respect to its filter:
 * per filter tap, the strided input window times dy, summed over batch and space.
 */
export function depthwiseFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  o: ConvGradOptions,
): tf.Tensor4D {
  return tf.tidy(() => {
    const g = conv2dGeometry(x.shape, filterShape, o, true);
    const [, , channels, mult] = filterShape;
    const [[top, bottom], [left, right]] = tapPadding(g);
    // [C, N, Hp, Wp]: each tap window reshapes to [C, N*outH*outW].
    let xt: tf.Tensor = tf.transpose(x, [3, 0, 1, 2]);
    if (top || bottom || left || right) xt = tf.pad(xt, [[0, 0], [0, 0], [top, bottom], [left, right]]);
    const m = g.batchSize * g.outHeight * g.outWidth;
    // Per channel c: [taps, M] x [M, mult] as one batched matMul over channels.
    const dyc = tf.transpose(tf.reshape(dy, [m, channels, mult]), [1, 0, 2]);
    const taps: tf.Tensor[] = [];
    for (let kh = 0; kh < g.filterHeight; kh++) {
      for (let kw = 0; kw < g.filterWidth; kw++) {
        taps.push(tf.reshape(tapWindow(xt, 2, g, kh, kw), [channels, m]));
      }
    }
    const patches = tf.stack(taps, 1); // [C, taps, M]
    const grad = tf.matMul(patches, dyc); // [C, taps, mult]
    return tf.reshape(tf.transpose(grad, [1, 0, 2]), filterShape) as tf.Tensor4D;
  });
}

/**
 * Gradient of depthwiseConv2d with respect to its input: a stride-1 forward depthwise
 * convolution of the spread output gradient with the flipped filter, summed over the multiplier.
 */
export function depthwiseInputGrad(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  o: ConvGradOptions,
): tf.Tensor4D {
  return tf.tidy(() => {
    const g = conv2dGeometry(inputShape, filter.shape, o, true);
    const [fh, fw, channels, mult] = filter.shape;
    const spread = spreadOutputGradient(dy, g);
    const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [fh, fw, channels * mult, 1]) as tf.Tensor4D;
    const dx = tf.depthwiseConv2d(spread, flipped, 1, 'valid', 'NHWC', [g.dilationHeight, g.dilationWidth]);
    if (mult === 1) return dx;
    const [n, h, w] = inputShape;
    return tf.sum(tf.reshape(dx, [n, h, w, channels, mult]), 4) as tf.Tensor4D;
  });
}
