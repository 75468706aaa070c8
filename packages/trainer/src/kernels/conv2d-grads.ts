import * as tf from '@tensorflow/tfjs-core';
import { type ConvGeometry, type ConvPad, pair, spreadOutputGradient, tapPadding, tapWindow } from './conv-geometry.ts';

/** Options shared by the convolution-gradient functions (tfjs kernel attributes). */
export interface ConvGradOptions {
  strides: number | [number, number];
  pad: ConvPad;
  dilations?: number | [number, number];
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function toNhwc<T extends tf.Tensor>(t: T, dataFormat: string | undefined): T {
  return dataFormat === 'NCHW' ? (tf.transpose(t, [0, 2, 3, 1]) as T) : t;
}

function nhwcShape(shape: number[], dataFormat: string | undefined): [number, number, number, number] {
  const [a, b, c, d] = shape as [number, number, number, number];
  return dataFormat === 'NCHW' ? [a, c, d, b] : [a, b, c, d];
}

/** The geometry of conv2d(x of `inShape`, filter of `filterShape`) in NHWC. */
export function conv2dGeometry(
  inShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  o: ConvGradOptions,
  depthwise = false,
): ConvGeometry {
  return tf.backend_util.computeConv2DInfo(
    inShape,
    filterShape,
    pair(o.strides),
    pair(o.dilations),
    o.pad,
    o.dimRoundingMode,
    depthwise,
    'channelsLast',
  );
}

/**
 * Gradient of conv2d with respect to its filter, from ops every backend has:
 * per filter tap, one strided window of the (transposed, padded) input times dy as a matMul.
 */
export function conv2dFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  o: ConvGradOptions,
): tf.Tensor4D {
  return tf.tidy(() => {
    const xh = toNhwc(x, o.dataFormat);
    const dyh = toNhwc(dy, o.dataFormat);
    const g = conv2dGeometry(xh.shape, filterShape, o);
    const [[top, bottom], [left, right]] = tapPadding(g);
    // [Ci, N, Hp, Wp]: each tap window then reshapes to [Ci, N*outH*outW] without copying again.
    let xt: tf.Tensor = tf.transpose(xh, [3, 0, 1, 2]);
    if (top || bottom || left || right) xt = tf.pad(xt, [[0, 0], [0, 0], [top, bottom], [left, right]]);
    const m = g.batchSize * g.outHeight * g.outWidth;
    const dy2 = tf.reshape(dyh, [m, g.outChannels]);
    const taps: tf.Tensor[] = [];
    for (let kh = 0; kh < g.filterHeight; kh++) {
      for (let kw = 0; kw < g.filterWidth; kw++) {
        const win = tf.reshape(tapWindow(xt, 2, g, kh, kw), [g.inChannels, m]);
        taps.push(tf.matMul(win, dy2));
      }
    }
    return tf.reshape(tf.stack(taps), filterShape) as tf.Tensor4D;
  });
}

/**
 * Gradient of conv2d with respect to its input, as a stride-1 forward conv2d of the spread
 * output gradient with the flipped, in/out-swapped filter (runs at forward-convolution speed).
 */
export function conv2dInputGrad(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  o: ConvGradOptions,
): tf.Tensor4D {
  return tf.tidy(() => {
    const dyh = toNhwc(dy, o.dataFormat);
    const g = conv2dGeometry(nhwcShape(inputShape, o.dataFormat), filter.shape, o);
    const spread = spreadOutputGradient(dyh, g);
    // A 1×1 filter needs no flip (wasm's Reverse is a slow copy even over size-1 axes).
    const [fh, fw] = filter.shape;
    const flipped = tf.transpose(fh === 1 && fw === 1 ? filter : tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    const dx = tf.conv2d(spread, flipped, 1, 'valid', 'NHWC', [g.dilationHeight, g.dilationWidth]);
    return o.dataFormat === 'NCHW' ? (tf.transpose(dx, [0, 3, 1, 2]) as tf.Tensor4D) : dx;
  });
}
