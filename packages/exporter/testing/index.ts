/** Test fixtures of @headstart/exporter (tiny ONNX models). */
export { buildTinyCnnOnnx, TINY_CNN_TENSORS, type TinyCnnOptions } from './tiny-cnn-onnx.ts';
