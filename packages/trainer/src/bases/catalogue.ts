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
  /** Licence of the weights as their publisher states it. */
  licence: string;
  description: string;
  /** 'bundled': ships with the install (offline); 'download': fetched by URL into the cache on first use. */
  origin: 'bundled' | 'download';
  /** Folder inside nsfwjs's dist/models (bundled bases). */
  bundle?: string;
  /** model.json URL (downloaded bases); its weight shards sit next to it. */
  url?: string;
  /**
   * Pinned sha256 per file (`model.json`, each shard). Absent: not pinned yet (the files could
   * not be fetched where this catalogue was written), so the first complete download's hashes
   * are recorded and checked on every later use (trust on first use; `headstart models pin`).
   */
  sha256?: Readonly<Record<string, string>>;
}

const NSFWJS_PROVENANCE =
  'ImageNet-pretrained Keras application, fine-tuned by the nsfwjs authors on NSFW data (5 classes); weights uint8-quantised. Features are ImageNet-like but not identical to keras.applications weights.';

const NSFWJS_LICENCE = 'MIT (nsfwjs package)';

const V2_PROBE_CUTS = ['out_relu', 'block_15_add', 'block_12_add', 'block_9_add', 'block_5_add'];

/** MobileNetV2 no-top, ImageNet weights of keras.applications, as the TF.js layers model Teachable Machine loads. */
function mobilenetV2(alpha: '0.35' | '0.50' | '0.75' | '1.00'): BaseInfo {
  const id = `mobilenet_v2_${alpha.replace('.', '')}`;
  const url = `https://storage.googleapis.com/teachable-machine-models/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${alpha}_224_no_top/model.json`;
  return {
    id,
    inputSize: [224, 224],
    preprocess: 'tf',
    defaultCut: 'out_relu',
    probeCuts: [...V2_PROBE_CUTS],
    resizable: true,
    sizeRange: [32, 512],
    source: url,
    provenance: `keras.applications MobileNetV2 (alpha ${alpha}, 224, include_top=False) ImageNet weights, converted to a TF.js layers model and published by Google's Teachable Machine (tm-image loads this URL); float32, not fine-tuned on anything else`,
    licence: 'Apache-2.0 (Keras Applications / Teachable Machine)',
    description: `MobileNetV2 alpha ${alpha}, real ImageNet weights (download)`,
    origin: 'download',
    url,
  };
}

/** MobileNetV1 with its classifier, ImageNet weights, as published in tfjs-models (cut at conv_pw_13_relu). */
function mobilenetV1(alpha: '0.25' | '0.50' | '0.75' | '1.0'): BaseInfo {
  const id = `mobilenet_v1_${alpha === '1.0' ? '100' : alpha.replace('0.', '0')}`;
  const url = `https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_${alpha}_224/model.json`;
  return {
    id,
    inputSize: [224, 224],
    preprocess: 'tf',
    defaultCut: 'conv_pw_13_relu',
    probeCuts: ['conv_pw_13_relu', 'conv_pw_11_relu', 'conv_pw_9_relu', 'conv_pw_5_relu'],
    resizable: true,
    sizeRange: [32, 512],
    source: url,
    provenance: `Keras MobileNet (V1, alpha ${alpha}, 224) ImageNet classifier converted to a TF.js layers model by the TensorFlow.js team (tfjs-models; Teachable Machine's version-1 base); used up to conv_pw_13_relu, the classifier dropped`,
    licence: 'Apache-2.0 (tfjs-models)',
    description: `MobileNetV1 alpha ${alpha}, real ImageNet weights (download)`,
    origin: 'download',
    url,
  };
}

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
    licence: NSFWJS_LICENCE,
    origin: 'bundled',
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
    licence: NSFWJS_LICENCE,
    origin: 'bundled',
    description: 'InceptionV3, 21.8M parameters up to mixed10: stronger features, about 10x slower than MobileNetV2',
    bundle: 'inception_v3',
  },
  mobilenetV2('0.35'),
  mobilenetV2('0.50'),
  mobilenetV2('0.75'),
  mobilenetV2('1.00'),
  mobilenetV1('0.25'),
  mobilenetV1('0.50'),
  mobilenetV1('0.75'),
  mobilenetV1('1.0'),
];

/** The built-in bases (copies; safe to mutate). */
export function listBases(): BaseInfo[] {
  return BASES.map((b) => ({
    ...b,
    inputSize: [...b.inputSize] as [number, number],
    sizeRange: [...b.sizeRange] as [number, number],
    probeCuts: [...b.probeCuts],
    ...(b.sha256 ? { sha256: { ...b.sha256 } } : {}),
  }));
}

/** A catalogue entry by id, or undefined. */
export function findBase(id: string): BaseInfo | undefined {
  return listBases().find((b) => b.id === id);
}
