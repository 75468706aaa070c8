import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select-backend.ts';
import { affineBatchNorm, clippedRelu } from '../src/kernels/fast-ops.ts';

function values(shape: number[], seed: number, scale = 1, offset = 0): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    v[i] = ((s / 2147483648) * 2 - 1) * scale + offset;
  }
  return tf.tensor(v, shape);
}

function close(a: tf.Tensor, b: tf.Tensor, tol = 1e-4): void {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs((x[i] as number) - (y[i] as number)) / (1 + Math.abs(y[i] as number)));
  expect(worst).toBeLessThan(tol);
}

describe.each(['wasm', 'cpu'] as const)('fast training ops on %s', (backend) => {
  it('affine BatchNorm matches tfjs batchNorm in value and in gradients of x, gamma and beta', async () => {
    await selectBackend(backend);
    const x = values([3, 4, 5, 6], 1, 2);
    const mean = values([6], 2);
    const variance = values([6], 3, 0.5, 1);
    const beta = values([6], 4);
    const gamma = values([6], 5, 1, 0.5);
    const dy = values([3, 4, 5, 6], 6);
    const grads = (f: (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor) =>
      tf.engine().gradients(() => tf.sum(tf.mul(f(x, gamma, beta), dy)) as tf.Scalar, [x, gamma, beta]);
    const ours = grads((a, g, b) => affineBatchNorm(a, mean, variance, b, g, 1e-3));
    const ref = grads((a, g, b) => tf.batchNorm(a, mean, variance, b, g, 1e-3));
    close(ours.value, ref.value);
    ours.grads.forEach((g, i) => close(g, ref.grads[i] as tf.Tensor));
  });

  it('clippedRelu matches clip(relu(x), 0, 6) in value and gradient, bounds included', async () => {
    await selectBackend(backend);
    const x = tf.concat([values([200], 7, 8, 2), tf.tensor1d([0, 6, -0, 5.999, 6.001])]);
    const dy = values([205], 8);
    const grads = (f: (x: tf.Tensor) => tf.Tensor) => tf.engine().gradients(() => tf.sum(tf.mul(f(x), dy)) as tf.Scalar, [x]);
    const ours = grads((a) => clippedRelu(a, 6));
    const ref = grads((a) => tf.clipByValue(tf.relu(a), 0, 6));
    close(ours.value, ref.value, 1e-6);
    close(ours.grads[0] as tf.Tensor, ref.grads[0] as tf.Tensor, 1e-6);
  });
});
