import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select-backend.ts';
import { conv2dFilterGrad, conv2dInputGrad } from '../src/kernels/conv2d-grads.ts';
import { registerWasmConvGradients, wasmConvGradientsRegistered } from '../src/kernels/register-wasm.ts';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;

interface Case {
  name: string;
  x: Shape4;
  filter: Shape4;
  strides: number | [number, number];
  pad: Pad;
  dilations?: number;
}

let seed = 1;
function rand(shape: number[]): tf.Tensor {
  // Deterministic values in [-1, 1) so a failure reproduces.
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    v[i] = (seed / 2147483648) * 2 - 1;
  }
  return tf.tensor(v, shape);
}

function outShape(c: Case, depthwise: boolean): Shape4 {
  const info = tf.backend_util.computeConv2DInfo(
    c.x,
    c.filter,
    typeof c.strides === 'number' ? [c.strides, c.strides] : c.strides,
    [c.dilations ?? 1, c.dilations ?? 1],
    c.pad,
    undefined,
    depthwise,
  );
  return info.outShape as Shape4;
}

/** Runs the four gradient kernels on the active backend and returns plain arrays. */
function kernelGrads(c: Case, depthwise: boolean, xs: tf.TensorLike, ws: tf.TensorLike, dys: tf.TensorLike) {
  return tf.tidy(() => {
    const x = tf.tensor(xs, c.x);
    const w = tf.tensor(ws, c.filter);
    const dy = tf.tensor(dys, outShape(c, depthwise));
    const common = { strides: c.strides, pad: c.pad, dilations: c.dilations ?? 1, dataFormat: 'NHWC' };
    const names = depthwise
      ? [tf.DepthwiseConv2dNativeBackpropFilter, tf.DepthwiseConv2dNativeBackpropInput]
      : [tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput];
    const attrsF = { ...common, filterShape: c.filter } as unknown as tf.NamedAttrMap;
    const attrsI = { ...common, inputShape: c.x } as unknown as tf.NamedAttrMap;
    const dw = tf.engine().runKernel(names[0] as string, { x, dy }, attrsF) as tf.Tensor;
    const dx = tf.engine().runKernel(names[1] as string, { dy, filter: w }, attrsI) as tf.Tensor;
    return { dw: Array.from(dw.dataSync()), dx: Array.from(dx.dataSync()), dwShape: dw.shape, dxShape: dx.shape };
  });
}

/**
 * cpu reference for dilated convolutions: the cpu backprop kernels ignore dilations, so run
 * them on the equivalent undilated filter (zeros inserted) and subsample the filter gradient.
 */
function dilatedReference(c: Case, depthwise: boolean, xs: tf.TensorLike, ws: Float32Array, dys: tf.TensorLike) {
  const d = c.dilations ?? 1;
  const [fh, fw, ci, co] = c.filter;
  const eh = (fh - 1) * d + 1;
  const ew = (fw - 1) * d + 1;
  const wide = new Float32Array(eh * ew * ci * co);
  const at = (h: number, w: number, W: number) => (h * W + w) * ci * co;
  for (let h = 0; h < fh; h++)
    for (let w = 0; w < fw; w++) wide.set(ws.subarray(at(h, w, fw), at(h, w, fw) + ci * co), at(h * d, w * d, ew));
  const wideCase: Case = { ...c, filter: [eh, ew, ci, co], dilations: 1 };
  const r = kernelGrads(wideCase, depthwise, xs, wide, dys);
  const dw: number[] = [];
  for (let h = 0; h < fh; h++)
    for (let w = 0; w < fw; w++) dw.push(...r.dw.slice(at(h * d, w * d, ew), at(h * d, w * d, ew) + ci * co));
  return { dw, dx: r.dx, dwShape: c.filter, dxShape: r.dxShape };
}

function expectClose(actual: number[], expected: number[], tol = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i] as number;
    const err = Math.abs((actual[i] as number) - e) / Math.max(1, Math.abs(e));
    worst = Math.max(worst, err);
  }
  expect(worst).toBeLessThan(tol);
}

const convCases: Case[] = [
  { name: '3x3 s1 same', x: [2, 7, 9, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { name: '3x3 s1 valid', x: [2, 7, 9, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'valid' },
  { name: '3x3 s2 same odd', x: [2, 9, 7, 3], filter: [3, 3, 3, 5], strides: 2, pad: 'same' },
  { name: '3x3 s2 same even', x: [2, 12, 12, 3], filter: [3, 3, 3, 8], strides: 2, pad: 'same' },
  { name: '3x3 s2 valid even', x: [1, 8, 10, 2], filter: [3, 3, 2, 3], strides: 2, pad: 'valid' },
  { name: '5x5 s(2,1) same', x: [2, 11, 6, 2], filter: [5, 5, 2, 3], strides: [2, 1], pad: 'same' },
  { name: '1x1 s1', x: [3, 5, 5, 6], filter: [1, 1, 6, 4], strides: 1, pad: 'valid' },
  { name: '1x1 s2', x: [2, 7, 7, 4], filter: [1, 1, 4, 8], strides: 2, pad: 'same' },
  { name: '3x2 explicit pad', x: [2, 6, 7, 3], filter: [3, 2, 3, 2], strides: 1, pad: [[0, 0], [2, 1], [0, 1], [0, 0]] },
  { name: '3x3 dilation 2', x: [2, 9, 10, 2], filter: [3, 3, 2, 3], strides: 1, pad: 'same', dilations: 2 },
  { name: '2x2 dilation 2 valid', x: [1, 8, 8, 3], filter: [2, 2, 3, 2], strides: 1, pad: 'valid', dilations: 2 },
];

const depthwiseCases: Case[] = [
  { name: 'dw 3x3 s1 same m1', x: [2, 7, 9, 4], filter: [3, 3, 4, 1], strides: 1, pad: 'same' },
  { name: 'dw 3x3 s2 same m1 odd', x: [2, 9, 7, 3], filter: [3, 3, 3, 1], strides: 2, pad: 'same' },
  { name: 'dw 3x3 s2 valid m2', x: [1, 8, 10, 3], filter: [3, 3, 3, 2], strides: 2, pad: 'valid' },
  { name: 'dw 3x3 s1 valid m2', x: [2, 6, 6, 2], filter: [3, 3, 2, 2], strides: 1, pad: 'valid' },
  { name: 'dw 5x5 s1 same m1', x: [1, 9, 9, 3], filter: [5, 5, 3, 1], strides: 1, pad: 'same' },
  { name: 'dw 3x3 dilation 2 m1', x: [2, 10, 9, 3], filter: [3, 3, 3, 1], strides: 1, pad: 'same', dilations: 2 },
  { name: 'dw 3x3 s2 dilation 2 m1 (kernel only)', x: [1, 11, 10, 2], filter: [3, 3, 2, 1], strides: 2, pad: 'same', dilations: 2 },
  { name: 'dw 3x3 dilation 2 valid m2', x: [1, 9, 9, 2], filter: [3, 3, 2, 2], strides: 1, pad: 'valid', dilations: 2 },
];

describe('wasm convolution-gradient kernels', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('registers idempotently and reports itself', () => {
    const again = registerWasmConvGradients();
    expect(again.every((r) => r.action === 'already-headstart')).toBe(true);
    expect(wasmConvGradientsRegistered()).toBe(true);
  });

  for (const [depthwise, cases] of [
    [false, convCases],
    [true, depthwiseCases],
  ] as const) {
    for (const c of cases) {
      it(`matches the cpu kernels: ${c.name}`, async () => {
        const xs = rand(c.x);
        const ws = rand(c.filter);
        const dys = rand(outShape(c, depthwise));
        const [xv, wv, dyv] = [xs.dataSync(), ws.dataSync(), dys.dataSync()];
        tf.dispose([xs, ws, dys]);
        await tf.setBackend('cpu');
        const ref =
          (c.dilations ?? 1) > 1
            ? dilatedReference(c, depthwise, xv, wv as Float32Array, dyv)
            : kernelGrads(c, depthwise, xv, wv, dyv);
        await tf.setBackend('wasm');
        const before = tf.memory().numTensors;
        const got = kernelGrads(c, depthwise, xv, wv, dyv);
        expect(tf.memory().numTensors).toBe(before);
        expect(got.dwShape).toEqual(ref.dwShape);
        expect(got.dxShape).toEqual(ref.dxShape);
        expectClose(got.dw, ref.dw);
        expectClose(got.dx, ref.dx);
      });
    }
  }

  for (const [filter, strides, pad, shape] of [
    [2, 2, 'valid', [2, 6, 6, 5]],
    [2, 2, 'same', [2, 7, 5, 3]],
    [3, 2, 'same', [1, 9, 9, 2]],
    [3, 1, 'same', [1, 5, 6, 2]],
    [3, 3, 'valid', [2, 9, 6, 3]],
    [[2, 1], [2, 1], 'valid', [2, 6, 5, 3]],
  ] as const) {
    it(`maxPool ${filter}x${filter} s${strides} ${pad} gradient matches the cpu backend (negative inputs too)`, async () => {
      const xs = rand(shape as unknown as number[]);
      const xv = tf.sub(xs, 0.5).dataSync();
      xs.dispose();
      const run = () =>
        tf.tidy(() => {
          const loss = (x: tf.Tensor) => {
            const p = tf.maxPool(x as tf.Tensor4D, filter as [number, number], strides as [number, number], pad);
            return tf.sum(tf.mul(p, tf.reshape(tf.range(1, 1 + p.size), p.shape)));
          };
          return Array.from(tf.grad(loss)(tf.tensor(xv, shape as unknown as number[])).dataSync());
        });
      await tf.setBackend('cpu');
      const ref = run();
      await tf.setBackend('wasm');
      expectClose(run(), ref, 1e-6);
    });
  }

  it('maxPool gradient on tied windows (zeros after relu) keeps the cpu total per window', async () => {
    const xv = new Float32Array(2 * 4 * 4 * 3); // all zero: every 2x2 window is a four-way tie
    const run = () =>
      tf.tidy(() => {
        const g = tf.grad((x: tf.Tensor) => tf.sum(tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid')))(tf.tensor(xv, [2, 4, 4, 3]));
        return tf.sum(tf.reshape(g, [2, 2, 2, 2, 2, 3]), [2, 4]).dataSync();
      });
    await tf.setBackend('cpu');
    const ref = Array.from(run());
    await tf.setBackend('wasm');
    expectClose(Array.from(run()), ref, 1e-6);
  });

  it('NCHW conv gradients (op-built functions) match the cpu kernels', async () => {
    await tf.setBackend('cpu');
    tf.tidy(() => {
      const x = rand([2, 3, 8, 7]) as tf.Tensor4D; // N C H W
      const w = rand([3, 3, 3, 4]) as tf.Tensor4D;
      const dy = rand([2, 4, 4, 4]) as tf.Tensor4D; // stride 2, same
      const o = { strides: 2, pad: 'same' as const, dataFormat: 'NCHW' as const };
      const attrs = { ...o, dimRoundingMode: undefined };
      const refW = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape: w.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
      const refX = tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, { ...attrs, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
      expectClose(Array.from(conv2dFilterGrad(x, dy, w.shape, o).dataSync()), Array.from(refW.dataSync()));
      expectClose(Array.from(conv2dInputGrad(dy, w, x.shape, o).dataSync()), Array.from(refX.dataSync()));
    });
    await tf.setBackend('wasm');
  });

  it('tf.grads through a fused conv + depthwise + pooling stack matches the cpu backend', async () => {
    const xs = rand([2, 12, 12, 3]).dataSync();
    const w1 = rand([3, 3, 3, 8]).dataSync();
    const b1 = rand([8]).dataSync();
    const w2 = rand([3, 3, 8, 2]).dataSync();
    const w3 = rand([1, 1, 16, 5]).dataSync();
    const run = () =>
      tf.tidy(() => {
        const f = (x: tf.Tensor, a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => {
          let h: tf.Tensor4D = tf.fused.conv2d({
            x: x as tf.Tensor4D,
            filter: a as tf.Tensor4D,
            strides: 2,
            pad: 'same',
            bias: b,
            activation: 'relu6',
          });
          h = tf.depthwiseConv2d(h, c as tf.Tensor4D, 1, 'same');
          h = tf.conv2d(h, d as tf.Tensor4D, 1, 'valid');
          h = tf.maxPool(h, 2, 2, 'same');
          return tf.sum(tf.mul(h, h));
        };
        const grads = tf.grads(f)([
          tf.tensor(xs, [2, 12, 12, 3]),
          tf.tensor(w1, [3, 3, 3, 8]),
          tf.tensor(b1, [8]),
          tf.tensor(w2, [3, 3, 8, 2]),
          tf.tensor(w3, [1, 1, 16, 5]),
        ]);
        return grads.map((g) => Array.from(g.dataSync()));
      });
    await tf.setBackend('cpu');
    const ref = run();
    await tf.setBackend('wasm');
    const got = run();
    for (let i = 0; i < ref.length; i++) {
      try {
        expectClose(got[i] as number[], ref[i] as number[], 2e-4);
      } catch (e) {
        throw new Error(`gradient ${i} differs: ${String(e)}`);
      }
    }
  });

  it('filter gradient agrees with central finite differences on wasm', () => {
    // loss = sum(conv2d(x, w) * r) is linear in w, so differences are exact up to rounding.
    const x = rand([1, 5, 6, 2]);
    const r = rand([1, 3, 3, 3]);
    const w0 = rand([3, 3, 2, 3]);
    const loss = (w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'), r));
    const analytic = tf.grad(loss)(w0).dataSync();
    const base = w0.dataSync();
    const eps = 1e-2;
    for (const i of [0, 7, 13, 29, 53]) {
      const plus = Float32Array.from(base);
      const minus = Float32Array.from(base);
      plus[i] = (plus[i] as number) + eps;
      minus[i] = (minus[i] as number) - eps;
      const lp = loss(tf.tensor(plus, w0.shape)).dataSync()[0] as number;
      const lm = loss(tf.tensor(minus, w0.shape)).dataSync()[0] as number;
      expect(Math.abs((lp - lm) / (2 * eps) - (analytic[i] as number))).toBeLessThan(2e-3);
    }
  });
});
