/**
 * Test fixtures: tiny ONNX CNN classifiers written with the exporter's own builder, shaped like
 * real exports — torchvision/timm style (NCHW: Conv, BatchNormalization, Relu, MaxPool, Clip,
 * Add, Concat, GlobalAveragePool, Flatten, Gemm, Softmax) and tf2onnx style (NHWC input,
 * Transpose, Conv, Relu, ReduceMean, Reshape, MatMul, Add, Softmax).
 */
import { GraphBuilder } from '../src/onnx/graph-builder.ts';
import { DataType, encodeModel, type ModelMsg } from '../src/onnx/proto.ts';

/** Options of {@link buildTinyCnnOnnx}. */
export interface TinyCnnOptions {
  layout: 'nchw' | 'nhwc';
  /** Square input side, or 'dynamic' (symbolic height and width). Default 16. */
  size?: number | 'dynamic';
  classes?: number;
  seed?: number;
  /** Fix the batch dimension at 1 (as some model-zoo files do). */
  fixedBatch?: boolean;
}

/** Names of the fixture's tensors that tests cut at. */
export const TINY_CNN_TENSORS = {
  nchw: { features: 'features_map', early: 'block1_relu', pooled: 'pooled' },
  nhwc: { features: 'nhwc_map', early: 'conv1_relu', pooled: 'pooled' },
} as const;

function values(n: number, next: () => number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale);
}

/** A small ONNX CNN classifier (opset 17) as bytes; its weights are seeded pseudo-random numbers. */
export function buildTinyCnnOnnx(opts: TinyCnnOptions): Uint8Array {
  let state = (opts.seed ?? 5) >>> 0;
  const next = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const classes = opts.classes ?? 3;
  const b = new GraphBuilder({ fp16: false });
  const w = (dims: number[], hint: string, scale = 0.5): string => b.constF32(values(dims.reduce((a, c) => a * c, 1), next, scale), dims, hint);
  const input = b.reserve('input');
  const size = opts.size ?? 16;
  const side = size === 'dynamic' ? undefined : size;
  let x = input;
  let shape: (number | string)[];
  if (opts.layout === 'nchw') {
    shape = [opts.fixedBatch ? 1 : 'batch', 3, side ?? 'height', side ?? 'width'];
    x = b.op('Conv', [x, w([6, 3, 3, 3], 'c1.w'), w([6], 'c1.b', 0.1)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv1');
    x = b.op('BatchNormalization', [x, w([6], 'bn.scale', 1), w([6], 'bn.bias', 0.2), w([6], 'bn.mean', 0.3), b.constF32(values(6, next, 0.5).map((v) => 1 + Math.abs(v)), [6], 'bn.var')], { epsilon: { float: 1e-5 } }, 'bn1');
    x = b.op('Relu', [x], {}, 'block1', 'block1_relu');
    const pooled = b.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool1');
    let y = b.op('Conv', [pooled, w([6, 6, 3, 3], 'c2.w', 0.3), w([6], 'c2.b', 0.1)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv2');
    y = b.op('Clip', [y, b.scalar(0, 'clip.min'), b.scalar(6, 'clip.max')], {}, 'relu6');
    const sum = b.op('Add', [y, pooled], {}, 'residual');
    const side2 = b.op('Relu', [b.op('Conv', [sum, w([2, 6, 1, 1], 'c3.w'), w([2], 'c3.b', 0.1)], { kernel_shape: [1, 1] }, 'conv3')], {}, 'relu3');
    x = b.op('Concat', [sum, side2], { axis: 1 }, 'concat', TINY_CNN_TENSORS.nchw.features);
    x = b.op('GlobalAveragePool', [x], {}, 'gap');
    x = b.op('Flatten', [x], { axis: 1 }, 'flatten', TINY_CNN_TENSORS.nchw.pooled);
    x = b.op('Gemm', [x, w([classes, 8], 'fc.w'), w([classes], 'fc.b', 0.1)], { transB: 1 }, 'fc');
  } else {
    shape = [opts.fixedBatch ? 1 : 'batch', side ?? 'height', side ?? 'width', 3];
    x = b.op('Transpose', [x], { perm: [0, 3, 1, 2] }, 'to_nchw');
    x = b.op('Conv', [x, w([5, 3, 3, 3], 'c1.w'), w([5], 'c1.b', 0.1)], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 'conv1');
    x = b.op('Relu', [x], {}, 'conv1', TINY_CNN_TENSORS.nhwc.early);
    x = b.op('Conv', [x, w([4, 5, 3, 3], 'c2.w', 0.3), w([4], 'c2.b', 0.1)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv2');
    x = b.op('Relu', [x], {}, 'relu2');
    x = b.op('Transpose', [x], { perm: [0, 2, 3, 1] }, 'to_nhwc', TINY_CNN_TENSORS.nhwc.features);
    x = b.op('ReduceMean', [x], { axes: [1, 2], keepdims: 1 }, 'mean');
    x = b.op('Reshape', [x, b.constI64([-1, 4], 'flat')], {}, 'reshape', TINY_CNN_TENSORS.nhwc.pooled);
    x = b.op('Add', [b.op('MatMul', [x, w([4, classes], 'fc.w')], {}, 'fc'), w([classes], 'fc.b', 0.1)], {}, 'fc_bias');
  }
  b.op('Softmax', [x], { axis: 1 }, 'softmax', 'probs');
  const dim = (d: number | string): { dimValue: number } | { dimParam: string } => (typeof d === 'number' ? { dimValue: d } : { dimParam: d });
  const model: ModelMsg = {
    irVersion: 8,
    producerName: 'headstart-test',
    producerVersion: '0',
    opsetImport: [{ domain: '', version: 17 }],
    metadataProps: [],
    graph: {
      name: `tiny_cnn_${opts.layout}`,
      node: b.allNodes(),
      initializer: b.initializers,
      input: [{ name: input, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: shape.map(dim) } } } }],
      output: [{ name: 'probs', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [dim(shape[0] as number | string), dim(classes)] } } } }],
    },
  };
  return encodeModel(model);
}
