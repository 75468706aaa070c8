/**
 * @headstart/inference/web — classify images in the browser with onnxruntime-web.
 * @example
 *   import { createClassifier } from '@headstart/inference/web';
 *   const clf = await createClassifier(modelBytes, { provider: 'auto', wasmPaths: '/ort/' });
 *   const { predictions, timings } = await clf.classify(file, { topK: 3 });
 */
export { createClassifier, type WebClassifier, type WebClassifierOptions, type WebClassification, type WebProvider } from './classifier.ts';
export { decodeToRgba, imageToModelPixels, rgbaToRgb, type DecodedRgba, type WebImageSource } from './decode.ts';
export * from '../shared/index.ts';
