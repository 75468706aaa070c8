/**
 * @headstart/core — isomorphic contracts and pure logic.
 * @example
 *   import { PreprocessSpecSchema, HeadstartError } from '@headstart/core';
 *   const spec = PreprocessSpecSchema.parse({ size: [224, 224], mode: 'tf' });
 */
export * from './errors.ts';
export * from './fs-errors.ts';
export * from './events.ts';
export * from './specs/preprocess.ts';
export * from './specs/head.ts';
export * from './specs/schedule.ts';
export * from './specs/decision.ts';
export * from './specs/manifest.ts';
export * from './specs/base-cache.ts';
export * from './formats/tfjs-model.ts';
export * from './formats/keras-topology.ts';
export * from './formats/onnx-metadata.ts';
export * from './math/float16.ts';
export * from './random/rng.ts';
export * from './datasets/types.ts';
export * from './datasets/idx.ts';
export * from './datasets/labels.ts';
export * from './datasets/split.ts';
export * from './preprocess/normalize.ts';
export * from './preprocess/resize.ts';
export * from './preprocess/pixels.ts';
export * from './specs/parse.ts';
export * from './math/softmax.ts';
export * from './math/calibration.ts';
export * from './math/unknown.ts';
export * from './freeze/plan.ts';
export * from './metrics/report-schema.ts';
export * from './metrics/report.ts';
export * from './augment/affine.ts';
export * from './augment/crop.ts';
export * from './augment/augment.ts';
export * from './augment/tta.ts';
export * from './strategy/advise.ts';
export * from './bulk/prediction-row.ts';
export * from './bulk/queue-jobs.ts';
export * from './explain/heatmap.ts';
