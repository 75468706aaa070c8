/** The benchmark's model: nsfwjs's bundled MobileNetV2 (a real 224×224 TF.js layers classifier) exported by @headstart/exporter. */
import type { WeightSpec } from '@headstart/core';
import { serialiseArtifact } from '@headstart/exporter';
import { readNsfwjsModel } from '@headstart/trainer';

const LABELS = ['class_0', 'class_1', 'class_2', 'class_3', 'class_4'];

/** Exports MobileNetV2 (5 classes, 224×224, `tf` preprocessing) to ONNX bytes, in memory. */
export function exportBenchModel(): Uint8Array {
  const { json, weightData } = readNsfwjsModel('mobilenet_v2');
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights) as WeightSpec[];
  const { data } = serialiseArtifact(
    { modelTopology: structuredClone(json.modelTopology), weightSpecs, weightData: new Uint8Array(weightData) },
    { labels: LABELS, preprocess: { size: [224, 224], resize: 'cover', mode: 'tf', channelOrder: 'rgb', grayscale: false } },
  );
  return data;
}
