/** Shared, platform-free parts of @headstart/inference (used by the node and web entries). */
/** ONNX metadata (labels, PreprocessSpec, input size): core owns the format; re-exported for consumers of this package. */
export { readOnnxMetadata, parseHeadstartMetadata, parseInputSize, ONNX_METADATA_KEYS, type HeadstartModelInfo } from '@headstart/core';
export * from './predictions.ts';
export * from './pixels.ts';
export * from './types.ts';
