/** @headstart/inference/testing — tiny real ONNX models for tests and benchmarks. */
export * from './tiny-onnx.ts';
