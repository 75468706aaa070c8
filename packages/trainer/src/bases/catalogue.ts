/** The catalogue of built-in pretrained bases. */
import type { PreprocessMode } from '@headstart/core';

/** One built-in base: what it expects and where it comes from. */
export interface BaseInfo {
  id: string;
  /** Native input size [height, width]. */
  inputSize: [number, number];
  preprocess: PreprocessMode;
  /** Default cut: the last activation before the original classifier. */
  defaultCut: string;
  /**
   * Cuts the advisor measures (linear probes on each), from the default cut down to early,
   * generic features; targets far from the source domain often do best well below the default.
   */
  probeCuts: string[];
  /** True when the base up to its default cut is fully convolutional (input size can change). */
  resizable: boolean;
  /** Smallest and largest accepted square input size when resizable. */
  sizeRange: [number, number];
  source: string;
  provenance: string;
  description: string;
  /** Folder inside nsfwjs's dist/models. */
  bundle: string;
}

const NSFWJS_PROVENANCE =
  'ImageNet-pretrained Keras application, fine-tuned by the nsfwjs authors on NSFW data (5 classes); weights uint8-quantised. Features are ImageNet-like but not identical to keras.applications weights.';

const BASES: BaseInfo[] = [
  {
    id: 'mobilenet_v2',
    inputSize: [224, 224],
    preprocess: 'tf',
    defaultCut: 'out_relu',
    probeCuts: ['out_relu', 'block_15_add', 'block_12_add', 'block_9_add', 'block_5_add'],
    resizable: true,
    sizeRange: [32, 512],
    source: 'npm:nsfwjs/dist/models/mobilenet_v2',
    provenance: NSFWJS_PROVENANCE,
    description: 'MobileNetV2 (alpha 1.0), 2.2M parameters up to out_relu: fast, good default on CPU',
    bundle: 'mobilenet_v2',
  },
  {
    id: 'inception_v3',
    inputSize: [299, 299],
    preprocess: 'tf',
    defaultCut: 'mixed10',
    probeCuts: ['mixed10', 'mixed7', 'mixed5', 'mixed2'],
    resizable: true,
    sizeRange: [75, 512],
    source: 'npm:nsfwjs/dist/models/inception_v3',
    provenance: NSFWJS_PROVENANCE,
    description: 'InceptionV3, 21.8M parameters up to mixed10: stronger features, about 10x slower than MobileNetV2',
    bundle: 'inception_v3',
  },
];

/** The built-in bases (copies; safe to mutate). */
export function listBases(): BaseInfo[] {
  return BASES.map((b) => ({ ...b, inputSize: [...b.inputSize] as [number, number], sizeRange: [...b.sizeRange] as [number, number], probeCuts: [...b.probeCuts] }));
}

/** A catalogue entry by id, or undefined. */
export function findBase(id: string): BaseInfo | undefined {
  return listBases().find((b) => b.id === id);
}
