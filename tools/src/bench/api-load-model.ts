/** The benchmark's model: nsfwjs's bundled MobileNetV2 (a real 224×224 TF.js layers classifier) exported by @headstart/exporter. */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { serialiseArtifact, type WeightSpec } from '@headstart/exporter';

const LABELS = ['class_0', 'class_1', 'class_2', 'class_3', 'class_4'];

/** Exports MobileNetV2 (5 classes, 224×224, `tf` preprocessing) to ONNX bytes, in memory. */
export function exportBenchModel(): Uint8Array {
  const require = createRequire(join(process.cwd(), 'packages/trainer/package.json'));
  const dir = join(dirname(require.resolve('nsfwjs')), '..', '..', 'dist', 'models', 'mobilenet_v2');
  const model = require(join(dir, 'model.min.js')) as {
    modelTopology: Record<string, unknown>;
    weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  };
  const specs: WeightSpec[] = [];
  const chunks: Buffer[] = [];
  for (const group of model.weightsManifest) {
    for (const p of group.paths) chunks.push(Buffer.from(require(join(dir, `${p}.min.js`)) as string, 'base64'));
    specs.push(...group.weights);
  }
  const { data } = serialiseArtifact(
    { modelTopology: structuredClone(model.modelTopology), weightSpecs: specs, weightData: new Uint8Array(Buffer.concat(chunks)) },
    { labels: LABELS, preprocess: { size: [224, 224], resize: 'cover', mode: 'tf', channelOrder: 'rgb', grayscale: false } },
  );
  return data;
}
