/**
 * Test helper: writes a tiny but real ONNX classifier (Reshape → MatMul → Add → Softmax over
 * NHWC float32 pixels named `pixels`, output `probabilities`) with Headstart metadata_props, using
 * a hand-rolled protobuf writer. Stands in for an exported model so the page can be tested alone.
 */
import { ONNX_METADATA_KEYS as KEYS } from '@headstart/core';

class Writer {
  private chunks: number[] = [];
  varint(v: number): this {
    let n = v;
    while (n >= 0x80) {
      this.chunks.push((n % 128) | 0x80);
      n = Math.floor(n / 128);
    }
    this.chunks.push(n);
    return this;
  }
  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }
  int(field: number, v: number): this {
    return this.tag(field, 0).varint(v);
  }
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    for (const x of b) this.chunks.push(x);
    return this;
  }
  str(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  msg(field: number, w: Writer): this {
    return this.bytes(field, w.finish());
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

function tensor(name: string, dims: number[], dataType: 1 | 7, raw: Uint8Array): Writer {
  const w = new Writer();
  for (const d of dims) w.int(1, d);
  return w.int(2, dataType).str(8, name).bytes(9, raw);
}

function valueInfo(name: string, dims: (number | string)[]): Writer {
  const shape = new Writer();
  for (const d of dims) shape.msg(1, typeof d === 'number' ? new Writer().int(1, d) : new Writer().str(2, d));
  const tensorType = new Writer().int(1, 1).msg(2, shape);
  return new Writer().str(1, name).msg(2, new Writer().msg(1, tensorType));
}

function node(op: string, inputs: string[], outputs: string[], attrs: Writer[] = []): Writer {
  const w = new Writer();
  for (const i of inputs) w.str(1, i);
  for (const o of outputs) w.str(2, o);
  w.str(3, `${op}_${outputs[0]}`).str(4, op);
  for (const a of attrs) w.msg(5, a);
  return w;
}

/** Deterministic pseudo-random weights in [-scale, scale]. */
function weights(count: number, seed: number, scale: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 0xffffffff) * 2 - 1) * scale;
  }
  return out;
}

export interface TinyModelOptions {
  size: [number, number];
  labels: string[];
  resize?: 'cover' | 'contain' | 'stretch';
  seed?: number;
  /**
   * Shape it like an exported GAP head with the Grad-CAM output: the scaled pixels are the feature
   * map A (3 channels), cam = A·α ([N, h, w, classes]) and logits = mean over h, w of cam + B, so
   * α is exactly Grad-CAM's channel weights.
   */
  cam?: boolean;
  /** Extra metadata_props entries (e.g. `headstart.unknown_below`). */
  metadata?: Record<string, string>;
}

/** Builds the model bytes. */
export function buildTinyClassifier(opts: TinyModelOptions): Uint8Array {
  const [h, w] = opts.size;
  if (opts.cam) return withModel(opts, camGraph(opts));
  const features = h * w * 3;
  const classes = opts.labels.length;
  const W = weights(features * classes, opts.seed ?? 7, 0.02);
  const B = weights(classes, (opts.seed ?? 7) + 1, 0.5);
  const shape = new BigInt64Array([-1n, BigInt(features)]);
  const graph = new Writer()
    .msg(1, node('Reshape', ['pixels', 'flat_shape'], ['flat']))
    .msg(1, node('Div', ['flat', 'scale'], ['scaled']))
    .msg(1, node('MatMul', ['scaled', 'W'], ['logits0']))
    .msg(1, node('Add', ['logits0', 'B'], ['logits']))
    .msg(1, node('Softmax', ['logits'], ['probabilities'], [new Writer().str(1, 'axis').int(3, 1).int(20, 2)]))
    .str(2, 'tiny')
    .msg(5, tensor('flat_shape', [2], 7, new Uint8Array(shape.buffer)))
    .msg(5, tensor('scale', [1], 1, new Uint8Array(new Float32Array([25.5]).buffer)))
    .msg(5, tensor('W', [features, classes], 1, new Uint8Array(W.buffer)))
    .msg(5, tensor('B', [classes], 1, new Uint8Array(B.buffer)))
    .msg(11, valueInfo('pixels', ['N', h, w, 3]))
    .msg(12, valueInfo('probabilities', ['N', classes]));
  return withModel(opts, graph);
}

function camGraph(opts: TinyModelOptions): Writer {
  const [h, w] = opts.size;
  const classes = opts.labels.length;
  const alpha = weights(3 * classes, opts.seed ?? 7, 0.5);
  const B = weights(classes, (opts.seed ?? 7) + 1, 0.5);
  return new Writer()
    .msg(1, node('Div', ['pixels', 'scale'], ['features']))
    .msg(1, node('MatMul', ['features', 'alpha'], ['cam']))
    .msg(1, node('ReduceMean', ['cam'], ['pooled'], [new Writer().str(1, 'axes').int(8, 1).int(8, 2).int(20, 7), new Writer().str(1, 'keepdims').int(3, 0).int(20, 2)]))
    .msg(1, node('Add', ['pooled', 'B'], ['logits']))
    .msg(1, node('Softmax', ['logits'], ['probabilities'], [new Writer().str(1, 'axis').int(3, 1).int(20, 2)]))
    .str(2, 'tiny-cam')
    .msg(5, tensor('scale', [1], 1, new Uint8Array(new Float32Array([255]).buffer)))
    .msg(5, tensor('alpha', [3, classes], 1, new Uint8Array(alpha.buffer)))
    .msg(5, tensor('B', [classes], 1, new Uint8Array(B.buffer)))
    .msg(11, valueInfo('pixels', ['N', h, w, 3]))
    .msg(12, valueInfo('probabilities', ['N', classes]))
    .msg(12, valueInfo('cam', ['N', h, w, classes]));
}

function withModel(opts: TinyModelOptions, graph: Writer): Uint8Array {
  const [h, w] = opts.size;
  const meta: Record<string, string> = {
    [KEYS.labels]: JSON.stringify(opts.labels),
    [KEYS.preprocess]: JSON.stringify({ size: [h, w], resize: opts.resize ?? 'cover', mode: 'none' }),
    [KEYS.inputSize]: JSON.stringify([h, w]),
    [KEYS.version]: 'test',
    ...opts.metadata,
  };
  const model = new Writer().int(1, 8).str(2, 'headstart-test').msg(7, graph).msg(8, new Writer().str(1, '').int(2, 13));
  for (const [k, v] of Object.entries(meta)) model.msg(14, new Writer().str(1, k).str(2, v));
  return model.finish();
}
