/**
 * @headstart/core-node — core's Node-only parts: file-system discovery, sharp decoding, dataset check.
 * @example
 *   import { loadDataset, decodeImage, checkDataset } from '@headstart/core-node';
 *   const report = await checkDataset('data/demo/fashion-mnist');
 */
export * from './atomic.ts';
export * from './cache-dir.ts';
export * from './sniff.ts';
export * from './decode.ts';
export * from './idx-files.ts';
export * from './discover.ts';
export * from './manifest.ts';
export * from './run-weights.ts';
export * from './model-json-file.ts';
export * from './load-dataset.ts';
export * from './check-types.ts';
export * from './check.ts';
export { mapLimit } from './map-limit.ts';
export * from './thumbnail.ts';
export * from './bulk-input.ts';
export * from './prediction-output.ts';
export * from './read-if-present.ts';
