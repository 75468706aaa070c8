/**
 * @headstart/inference (Node) — the one place that creates onnxruntime-node sessions.
 * @example
 *   import { createClassifier } from '@headstart/inference/node';
 *   const clf = await createClassifier('models/flowers/1/model.onnx', { logger: console.error });
 *   const { predictions } = await clf.classify(imageBuffer, { topK: 3 });
 */
export * from '../shared/index.ts';
export { createClassifier, type Classifier, type NodeClassifierOptions } from './classifier.ts';
export { createSession, type OnnxSession, type SessionOptions, type FloatTensor } from './session.ts';
export { decodeForModel, type DecodeOptions } from './decode.ts';
export { planProviders, probeCuda, type CudaProbe, type NodeProvider } from './providers.ts';
export { classifyFiles, type ClassifyFilesOptions } from './bulk.ts';
export { loadModelBytes, modelHash } from './model-source.ts';
export { explainOnnx } from './explain.ts';
