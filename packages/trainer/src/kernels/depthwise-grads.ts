import * as tf from '@tensorflow/tfjs-core';
import { type ConvGeometry, padOrCrop, spreadOutputGradient, tapPadding, tapWindow } from './conv-geometry.ts';
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
    const [fh, fw, channels, mult] = filterShape;
    const [n] = x.shape;
    const s: [number, number] = [g.strideHeight, g.strideWidth];
    const d: [number, number] = [g.dilationHeight, g.dilationWidth];
    if ((s[0] > 1 || s[1] > 1) && (d[0] > 1 || d[1] > 1)) return tapFilterGrad(x, dy, filterShape, g);
    // One depthwise conv: (batch, channel) pairs become channels, dy becomes the (dilated-by-stride)
    // filter, and the output's spatial extent is the filter's; then sum over the batch.
    const { top, left } = g.padInfo;
    const needH = (g.outHeight - 1) * s[0] + (fh - 1) * d[0] + 1;
    const needW = (g.outWidth - 1) * s[1] + (fw - 1) * d[1] + 1;
    const xp = padOrCrop(x, 1, [
      [top, needH - top - g.inHeight],
      [left, needW - left - g.inWidth],
    ]);
    const input = tf.reshape(tf.transpose(xp, [1, 2, 0, 3]), [1, needH, needW, n * channels]);
    const kernel = tf.reshape(tf.transpose(dy, [1, 2, 0, 3]), [g.outHeight, g.outWidth, n * channels, mult]);
    const out = tf.depthwiseConv2d(input as tf.Tensor4D, kernel as tf.Tensor4D, d, 'valid', 'NHWC', s);
    return tf.reshape(tf.sum(tf.reshape(out, [fh, fw, n, channels, mult]), 2), filterShape) as tf.Tensor4D;
  });
}

/** Filter gradient per tap (strided windows, batched matMul over channels); any strides and dilations. */
function tapFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  g: ConvGeometry,
): tf.Tensor4D {
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
  const grad = tf.matMul(tf.stack(taps, 1), dyc); // [C, taps, mult]
  return tf.reshape(tf.transpose(grad, [1, 0, 2]), filterShape) as tf.Tensor4D;
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
