import type { PreprocessSpec } from '@headstart/core';
import { tfl } from './tf.ts';

/** A small randomly initialised model exercising some layers, with the preprocessing to export it with. */
export interface LayerCase {
  name: string;
  /** Layer classes this case must contain (checked against the topology). */
  covers: string[];
  mode: PreprocessSpec['mode'];
  build(): tfl.LayersModel;
}

const L = tfl.layers;

/** Every supported layer appears in at least one case (the coverage test checks it). */
export const LAYER_CASES: LayerCase[] = [
  {
    name: 'stride-2 same padding at odd sizes, BN folding, flatten order',
    covers: ['Conv2D', 'BatchNormalization', 'ReLU', 'Flatten', 'Dense'],
    mode: 'tf',
    build: () =>
      tfl.sequential({
        layers: [
          L.conv2d({ inputShape: [15, 17, 3], filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
          L.conv2d({ filters: 6, kernelSize: [5, 4], strides: [2, 3], padding: 'same', useBias: false }),
          L.batchNormalization({ epsilon: 0.01 }),
          L.reLU({ maxValue: 6 }),
          L.flatten(),
          L.dense({ units: 5, activation: 'softmax' }),
        ],
      }),
  },
  {
    name: 'dilation, depth multiplier, depthwise BN folding',
    covers: ['Conv2D', 'DepthwiseConv2D', 'BatchNormalization', 'GlobalAveragePooling2D'],
    mode: 'torch',
    build: () =>
      tfl.sequential({
        layers: [
          L.conv2d({ inputShape: [19, 19, 3], filters: 4, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'elu' }),
          L.conv2d({ filters: 4, kernelSize: 3, dilationRate: 3, padding: 'valid', activation: 'selu' }),
          L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' }),
          L.batchNormalization({}),
          L.activation({ activation: 'relu6' }),
          L.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 1, dilationRate: 2, padding: 'same', activation: 'tanh' }),
          L.globalAveragePooling2d({}),
          L.dense({ units: 3, activation: 'softmax' }),
        ],
      }),
  },
  {
    name: 'separable conv, pooling with same padding, padding and cropping',
    covers: ['SeparableConv2D', 'MaxPooling2D', 'AveragePooling2D', 'ZeroPadding2D', 'Cropping2D', 'GlobalMaxPooling2D', 'Activation'],
    mode: 'caffe',
    build: () =>
      tfl.sequential({
        layers: [
          L.separableConv2d({ inputShape: [16, 13, 3], filters: 8, kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'swish' }),
          L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
          L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
          L.conv2d({ filters: 4, kernelSize: 1, activation: 'hardSigmoid' }),
          L.zeroPadding2d({ padding: [[1, 2], [0, 3]] }),
          L.cropping2D({ cropping: [[1, 0], [2, 1]] }),
          L.averagePooling2d({ poolSize: 2, padding: 'valid' }),
          L.separableConv2d({ filters: 5, kernelSize: 2, strides: 1, padding: 'valid' }),
          L.activation({ activation: 'softplus' }),
          L.globalMaxPooling2d({}),
          L.dense({ units: 4, activation: 'sigmoid' }),
          L.dense({ units: 3, activation: 'softmax' }),
        ],
      }),
  },
  {
    name: 'branches: merges, standalone BN, concat axes, transposed conv, upsampling',
    covers: ['Add', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate', 'LeakyReLU', 'Conv2DTranspose', 'UpSampling2D', 'Dropout', 'Softmax', 'GaussianNoise'],
    mode: 'tf',
    build: () => {
      const input = tfl.input({ shape: [12, 11, 3] });
      const a = L.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(input) as tfl.SymbolicTensor;
      const b = L.conv2d({ filters: 6, kernelSize: 1 }).apply(input) as tfl.SymbolicTensor;
      const bn = L.batchNormalization({}).apply(b) as tfl.SymbolicTensor; // b has two consumers: BN stays standalone
      const sum = L.add().apply([a, bn]) as tfl.SymbolicTensor;
      const prod = L.multiply().apply([sum, b]) as tfl.SymbolicTensor;
      const avg = L.average().apply([a, prod]) as tfl.SymbolicTensor;
      const mx = L.maximum().apply([avg, a]) as tfl.SymbolicTensor;
      const mn = L.minimum().apply([mx, sum]) as tfl.SymbolicTensor;
      const cat = L.concatenate({ axis: -1 }).apply([mn, a, b]) as tfl.SymbolicTensor;
      const catH = L.concatenate({ axis: 1 }).apply([cat, cat]) as tfl.SymbolicTensor;
      const lk = L.leakyReLU({ alpha: 0.1 }).apply(catH) as tfl.SymbolicTensor;
      const noisy = L.gaussianNoise({ stddev: 0.3 }).apply(lk) as tfl.SymbolicTensor;
      const up = L.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }).apply(noisy) as tfl.SymbolicTensor;
      const up2 = L.conv2dTranspose({ filters: 3, kernelSize: 2, strides: 3, padding: 'valid', activation: 'relu' }).apply(up) as tfl.SymbolicTensor;
      const pooled = L.maxPooling2d({ poolSize: 8 }).apply(up2) as tfl.SymbolicTensor;
      const us = L.upSampling2d({ size: [2, 3] }).apply(pooled) as tfl.SymbolicTensor;
      const flat = L.flatten().apply(us) as tfl.SymbolicTensor;
      const drop = L.dropout({ rate: 0.5 }).apply(flat) as tfl.SymbolicTensor;
      const d1 = L.dense({ units: 6 }).apply(drop) as tfl.SymbolicTensor;
      const bn2 = L.batchNormalization({}).apply(d1) as tfl.SymbolicTensor; // folded into the Dense
      const act = L.activation({ activation: 'mish' }).apply(bn2) as tfl.SymbolicTensor;
      const logits = L.dense({ units: 3 }).apply(act) as tfl.SymbolicTensor;
      const out = L.softmax({}).apply(logits) as tfl.SymbolicTensor;
      return tfl.model({ inputs: input, outputs: out });
    },
  },
  {
    name: 'reshape, rescaling, dense on rank 3',
    covers: ['Rescaling', 'Reshape', 'Dense'],
    mode: 'none',
    build: () =>
      tfl.sequential({
        layers: [
          L.rescaling({ inputShape: [8, 8, 3], scale: 1 / 255, offset: -0.5 }),
          L.conv2d({ filters: 4, kernelSize: 3, activation: 'softsign' }),
          L.reshape({ targetShape: [12, 12] }),
          L.dense({ units: 5 }),
          L.reshape({ targetShape: [6, 10, 1] }),
          L.conv2d({ filters: 2, kernelSize: 3 }),
          L.flatten(),
          L.dense({ units: 3, activation: 'linear' }),
          L.activation({ activation: 'softmax' }),
        ],
      }),
  },
  {
    name: 'advanced activations on 4D tensors',
    covers: ['PReLU', 'ELU', 'ThresholdedReLU', 'Softmax', 'Activation'],
    mode: 'tf',
    build: () =>
      tfl.sequential({
        layers: [
          L.conv2d({ inputShape: [7, 9, 3], filters: 4, kernelSize: 3, padding: 'same' }),
          L.prelu({}),
          L.elu({}),
          L.thresholdedReLU({ theta: 0.1 }),
          L.conv2d({ filters: 4, kernelSize: 1, activation: 'gelu' }),
          L.softmax({ axis: -1 }),
          L.conv2d({ filters: 3, kernelSize: 1, activation: 'gelu_new' }),
          L.activation({ activation: 'sigmoid' }),
          L.globalAveragePooling2d({}),
          L.dense({ units: 3, activation: 'softmax' }),
        ],
      }),
  },
  {
    name: 'nested model and shared layer',
    covers: ['Sequential', 'Conv2D', 'Add'],
    mode: 'tf',
    build: () => {
      const inner = tfl.sequential({
        name: 'inner_base',
        layers: [
          L.conv2d({ inputShape: [10, 10, 3], filters: 5, kernelSize: 3, strides: 2, padding: 'same' }),
          L.batchNormalization({}),
          L.reLU({}),
        ],
      });
      const input = tfl.input({ shape: [10, 10, 3] });
      const f = inner.apply(input) as tfl.SymbolicTensor;
      const shared = L.conv2d({ filters: 5, kernelSize: 1, activation: 'relu' });
      const s1 = shared.apply(f) as tfl.SymbolicTensor;
      const s2 = shared.apply(s1) as tfl.SymbolicTensor;
      const sum = L.add().apply([s1, s2]) as tfl.SymbolicTensor;
      const pooled = L.globalAveragePooling2d({}).apply(sum) as tfl.SymbolicTensor;
      const out = L.dense({ units: 4, activation: 'softmax' }).apply(pooled) as tfl.SymbolicTensor;
      return tfl.model({ inputs: input, outputs: out });
    },
  },
];
