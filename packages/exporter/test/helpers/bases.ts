import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parseIdx, resizeRgb } from '@headstart/core';
import type { ArtifactSource, WeightSpec } from '@headstart/core';
import { rng } from './tf.ts';

type Json = Record<string, unknown>;
interface LayerJson {
  name: string;
  class_name: string;
  config: Json;
  inbound_nodes: [string, number, number, Json][][];
}

function bytesPer(spec: WeightSpec): number {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  return n * (dtype === 'uint8' ? 1 : dtype === 'uint16' || dtype === 'float16' ? 2 : 4);
}

/**
 * A functional base cut after `cut` at a new square input size, topped with global average pooling
 * and a random softmax Dense head, the way the trainer builds base + head. Quantised base weights are
 * kept byte for byte, so TF.js and the exporter each dequantise them.
 */
export function baseWithHead(base: ArtifactSource & { modelTopology: Json }, cut: string, size: number, classes: number, seed: number): ArtifactSource & { modelTopology: Json } {
  const topo = structuredClone(base.modelTopology);
  const cfg = ((topo['model_config'] as Json)['config'] ?? {}) as { layers: LayerJson[]; input_layers: unknown; output_layers: unknown };
  const byName = new Map(cfg.layers.map((l) => [l.name, l]));
  const keep = new Set<string>();
  const stack = [cut];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (keep.has(n)) continue;
    keep.add(n);
    for (const node of byName.get(n)?.inbound_nodes ?? []) for (const ref of node) stack.push(ref[0]);
  }
  cfg.layers = cfg.layers.filter((l) => keep.has(l.name));
  for (const l of cfg.layers) if (l.class_name === 'InputLayer') l.config['batch_input_shape'] = [null, size, size, 3];
  cfg.layers.push(
    { name: 'hs_pool', class_name: 'GlobalAveragePooling2D', config: { name: 'hs_pool', data_format: 'channels_last', trainable: true }, inbound_nodes: [[[cut, 0, 0, {}]]] },
    {
      name: 'hs_head',
      class_name: 'Dense',
      config: { name: 'hs_head', units: classes, activation: 'softmax', use_bias: true, trainable: true },
      inbound_nodes: [[['hs_pool', 0, 0, {}]]],
    },
  );
  cfg.output_layers = [['hs_head', 0, 0]];
  // Keep the weights of kept layers, byte for byte.
  const data = base.weightData instanceof Uint8Array ? base.weightData : new Uint8Array(base.weightData as ArrayBuffer);
  const specs: WeightSpec[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const s of base.weightSpecs) {
    const n = bytesPer(s);
    if (keep.has(s.name.split('/')[0]!)) {
      specs.push(s);
      chunks.push(data.subarray(offset, offset + n));
    }
    offset += n;
  }
  const channels = channelsAt(base, cut, cfg.layers);
  const r = rng(seed);
  const kernel = Float32Array.from({ length: channels * classes }, () => (r() * 2 - 1) * 0.2);
  const bias = Float32Array.from({ length: classes }, () => (r() * 2 - 1) * 0.1);
  specs.push({ name: 'hs_head/kernel', shape: [channels, classes], dtype: 'float32' }, { name: 'hs_head/bias', shape: [classes], dtype: 'float32' });
  chunks.push(new Uint8Array(kernel.buffer), new Uint8Array(bias.buffer));
  return { modelTopology: topo, weightSpecs: specs, weightData: new Uint8Array(Buffer.concat(chunks)) };
}

/** Channels of the cut tensor: from the last conv/BN weights feeding it (mobilenet) or the sum of concat inputs (inception). */
function channelsAt(base: ArtifactSource, cut: string, layers: LayerJson[]): number {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const count = (name: string): number => {
    const l = byName.get(name)!;
    if (l.class_name === 'Concatenate') return l.inbound_nodes[0]!.reduce((a, ref) => a + count(ref[0]), 0);
    if (l.class_name === 'Conv2D') return Number(l.config['filters']);
    const w = base.weightSpecs.find((s) => s.name === `${name}/moving_mean`);
    if (w) return w.shape[0]!;
    return count(l.inbound_nodes[0]![0]![0]);
  };
  return count(cut);
}

let fashion: { images: Uint8Array; n: number } | undefined;

/** `count` real Fashion-MNIST test images (greyscale → RGB), resized to size×size, NHWC uint8. */
export function realImages(count: number, size: number, start = 0): Uint8Array {
  if (!fashion) {
    const idx = parseIdx(gunzipSync(readFileSync('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz')));
    fashion = { images: idx.data, n: idx.dims[0]! };
  }
  const out = new Uint8Array(count * size * size * 3);
  for (let i = 0; i < count; i++) {
    const grey = fashion.images.subarray((start + i) * 784, (start + i + 1) * 784);
    const rgb = new Uint8Array(784 * 3);
    for (let p = 0; p < 784; p++) rgb.fill(grey[p]!, p * 3, p * 3 + 3);
    out.set(resizeRgb(rgb, [28, 28], [size, size], 'stretch'), i * size * size * 3);
  }
  return out;
}
