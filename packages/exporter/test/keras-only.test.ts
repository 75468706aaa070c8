import { describe, expect, it } from 'vitest';
import { decodeArtifact, serialiseArtifact, type WeightSpec } from '../src/index.ts';
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

  it('fails with UNSUPPORTED_LAYER naming the layer and its class', () => {
    const layers = [
      { name: 'in', class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 4, 3] }, inbound_nodes: [] },
      { name: 'rnn', class_name: 'LSTM', config: { name: 'rnn', units: 2 }, inbound_nodes: [[['in', 0, 0, {}]]] },
    ];
    expect(() => serialiseArtifact(model(layers, []), {})).toThrowError(expect.objectContaining({ code: 'UNSUPPORTED_LAYER', message: expect.stringContaining('layer rnn (LSTM)') }));
  });
});
