/** Shared, platform-free parts of @headstart/inference (used by the node and web entries). */
export * from './onnx-metadata.ts';
export * from './headstart-metadata.ts';
export * from './predictions.ts';
export * from './pixels.ts';
export * from './types.ts';
