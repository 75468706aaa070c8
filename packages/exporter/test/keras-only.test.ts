import { describe, expect, it } from 'vitest';
import type { ArtifactSource, WeightSpec } from '@headstart/core';
import { decodeArtifact, serialiseArtifact } from '../src/index.ts';
import { checkOnnx, runOrt } from './helpers/onnx.ts';

// Layers and options TF.js cannot build (Keras-only), checked against hand-computed references
// on hand-written Keras topologies (functional class "Functional", Keras 3 inbound format).

const f32 = (a: number[]): Uint8Array => new Uint8Array(Float32Array.from(a).buffer);

function model(layers: unknown[], weights: { spec: WeightSpec; values: number[] }[]): Parameters<typeof decodeArtifact>[0] {
  return {
    modelTopology: {
      class_name: 'Functional',
      config: { name: 'm', layers, input_layers: [['in', 0, 0]], output_layers: [[(layers.at(-1) as { name: string }).name, 0, 0]] },
    },
    weightSpecs: weights.map((w) => w.spec),
    weightData: new Uint8Array(Buffer.concat(weights.map((w) => f32(w.values)))),
  };
}

const ref = (name: string): unknown => ({ class_name: '__keras_tensor__', config: { keras_history: [name, 0, 0] } });

describe('Keras-only layers', () => {
  it('Normalization, ReLU(threshold, negative_slope, max_value), Subtract, SpatialDropout2D', async () => {
    const mean = [1, 2, 3];
    const variance = [4, 0.25, 1];
    const layers = [
      { name: 'in', class_name: 'InputLayer', config: { name: 'in', batch_shape: [null, 2, 2, 3] }, inbound_nodes: [] },
      { name: 'norm', class_name: 'Normalization', config: { name: 'norm', axis: [-1] }, inbound_nodes: [{ args: [ref('in')], kwargs: {} }] },
      { name: 'drop', class_name: 'SpatialDropout2D', config: { name: 'drop', rate: 0.5 }, inbound_nodes: [{ args: [ref('norm')], kwargs: {} }] },
      { name: 'relu', class_name: 'ReLU', config: { name: 'relu', max_value: 1.5, negative_slope: 0.1, threshold: 0.2 }, inbound_nodes: [{ args: [ref('drop')], kwargs: {} }] },
      { name: 'sub', class_name: 'Subtract', config: { name: 'sub' }, inbound_nodes: [{ args: [[ref('relu'), ref('norm')]], kwargs: {} }] },
      { name: 'flat', class_name: 'Flatten', config: { name: 'flat' }, inbound_nodes: [{ args: [ref('sub')], kwargs: {} }] },
    ];
    const artifact = model(layers, [
      { spec: { name: 'norm/mean', shape: [3], dtype: 'float32' }, values: mean },
      { spec: { name: 'norm/variance', shape: [3], dtype: 'float32' }, values: variance },
    ]);
    const { data } = serialiseArtifact(artifact, {});
    checkOnnx(data);
    const x = Float32Array.from({ length: 12 }, (_, i) => (i * 7) % 11 - 3);
    const expected = Array.from(x, (v, i) => {
      const c = i % 3;
      const n = (v - mean[c]!) / Math.sqrt(variance[c]!);
      const r = n >= 1.5 ? 1.5 : n >= 0.2 ? n : 0.1 * (n - 0.2);
      return r - n;
    });
    const actual = await runOrt(data, x, [1, 2, 2, 3]);
    expect(Array.from(actual).map((v) => +v.toFixed(5))).toEqual(expected.map((v) => +v.toFixed(5)));
  });

  it('old Keras Sequential (config is a list) with a rank-2 input, GlobalAveragePooling keepdims', async () => {
    const artifact: ArtifactSource = {
      modelTopology: {
        class_name: 'Sequential',
        config: [
          { class_name: 'Dense', config: { name: 'd1', batch_input_shape: [null, 3], units: 2, activation: 'tanh', use_bias: true } },
          { class_name: 'Dense', config: { name: 'd2', units: 2, activation: 'softmax', use_bias: false } },
        ],
      },
      weightSpecs: [
        { name: 'd1/kernel', shape: [3, 2], dtype: 'float32' },
        { name: 'd1/bias', shape: [2], dtype: 'float32' },
        { name: 'd2/kernel', shape: [2, 2], dtype: 'float32' },
      ],
      weightData: f32([1, -1, 0.5, 0.25, -2, 1, 0.1, -0.1, 2, -1, 0.5, 3]).buffer as ArrayBuffer,
    };
    const { data, info } = serialiseArtifact(artifact, {});
    checkOnnx(data);
    expect(info.inputShape).toEqual([-1, 3]);
    const x = [0.3, -0.7, 1.1];
    const h = [0, 1].map((j) => Math.tanh(x[0]! * [1, -1][j]! + x[1]! * [0.5, 0.25][j]! + x[2]! * [-2, 1][j]! + [0.1, -0.1][j]!));
    const z = [0, 1].map((j) => h[0]! * [2, -1][j]! + h[1]! * [0.5, 3][j]!);
    const e = z.map((v) => Math.exp(v - Math.max(...z)));
    const expected = e.map((v) => v / (e[0]! + e[1]!));
    const actual = await runOrt(data, Float32Array.from(x), [1, 3]);
    expect(Array.from(actual).map((v) => +v.toFixed(5))).toEqual(expected.map((v) => +v.toFixed(5)));

    const pooled = model(
      [
        { name: 'in', class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 2, 2, 2] }, inbound_nodes: [] },
        { name: 'gap', class_name: 'GlobalAveragePooling2D', config: { name: 'gap', keepdims: true }, inbound_nodes: [[['in', 0, 0, {}]]] },
        { name: 'flat', class_name: 'Flatten', config: { name: 'flat' }, inbound_nodes: [[['gap', 0, 0, {}]]] },
      ],
      [],
    );
    const p = serialiseArtifact(pooled, {});
    expect(p.info.outputShape).toEqual([-1, 2]);
    const out = await runOrt(p.data, Float32Array.from([1, 10, 2, 20, 3, 30, 4, 40]), [1, 2, 2, 2]);
    expect(Array.from(out)).toEqual([2.5, 25]);
  });

  it('fails with UNSUPPORTED_LAYER naming the layer and its class', () => {
    const layers = [
      { name: 'in', class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 4, 3] }, inbound_nodes: [] },
      { name: 'rnn', class_name: 'LSTM', config: { name: 'rnn', units: 2 }, inbound_nodes: [[['in', 0, 0, {}]]] },
    ];
    expect(() => serialiseArtifact(model(layers, []), {})).toThrowError(expect.objectContaining({ code: 'UNSUPPORTED_LAYER', message: expect.stringContaining('layer rnn (LSTM)') }));
  });
});
