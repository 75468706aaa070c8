import protobuf from 'protobufjs/minimal.js';
import { ONNX_METADATA_KEYS as KEYS, type PreprocessSpec } from '@headstart/core';

type Writer = protobuf.Writer;
const FLOAT = 1;
const ATTR_INTS = 7;
const ATTR_INT = 2;

/** Options of {@link buildTinyClassifierOnnx}. */
export interface TinyClassifierOptions {
  labels: string[];
  /** Input [height, width]. */
  size: [number, number];
  /** Weight matrix 3×C (row-major) applied to the mean RGB (0..1); default: class i scores channel i%3. */
  weights?: number[];
  bias?: number[];
  preprocess?: Partial<PreprocessSpec>;
  /** Extra metadata_props entries (override the defaults). */
  metadata?: Record<string, string>;
  /** Leave out the Headstart metadata entirely. */
  omitMetadata?: boolean;
}

function msg(w: Writer, field: number, body: (w: Writer) => void): void {
  w.uint32((field << 3) | 2).fork();
  body(w);
  w.ldelim();
}

function str(w: Writer, field: number, value: string): void {
  w.uint32((field << 3) | 2).string(value);
}

function varint(w: Writer, field: number, value: number): void {
  w.uint32(field << 3).int64(value);
}

function valueInfo(w: Writer, field: number, name: string, dims: (number | string)[]): void {
  msg(w, field, (v) => {
    str(v, 1, name);
    msg(v, 2, (t) =>
      msg(t, 1, (tt) => {
        varint(tt, 1, FLOAT);
        msg(tt, 2, (shape) => {
          for (const d of dims) msg(shape, 1, (dim) => (typeof d === 'number' ? varint(dim, 1, d) : str(dim, 2, d)));
        });
      }),
    );
  });
}

function floatTensor(w: Writer, field: number, name: string, dims: number[], values: number[]): void {
  msg(w, field, (t) => {
    for (const d of dims) varint(t, 1, d);
    varint(t, 2, FLOAT);
    str(t, 8, name);
    const raw = new Uint8Array(new Float32Array(values).buffer);
    t.uint32((9 << 3) | 2).bytes(raw);
  });
}

function node(w: Writer, op: string, inputs: string[], outputs: string[], attrs: (n: Writer) => void = () => undefined): void {
  msg(w, 1, (n) => {
    for (const i of inputs) str(n, 1, i);
    for (const o of outputs) str(n, 2, o);
    str(n, 3, `${op}_${outputs[0]}`);
    str(n, 4, op);
    attrs(n);
  });
}

/**
 * Builds a small but real ONNX classifier with the Headstart contract (input `pixels` [N,H,W,3]
 * float32 0..255, output `probabilities` [N,C], metadata_props): softmax(mean_rgb/255 · W + b).
 * With the default weights, a red image is class 0, green class 1, blue class 2. For tests and benchmarks.
 */
export function buildTinyClassifierOnnx(opts: TinyClassifierOptions): Uint8Array {
  const classes = opts.labels.length;
  const weights = opts.weights ?? Array.from({ length: 3 * classes }, (_, i) => (Math.floor(i / classes) === (i % classes) % 3 ? 8 : -2));
  const bias = opts.bias ?? new Array<number>(classes).fill(0);
  const preprocess = { size: opts.size, resize: 'stretch', mode: 'none', channelOrder: 'rgb', grayscale: false, ...opts.preprocess };
  const metadata: Record<string, string> = opts.omitMetadata
    ? { ...opts.metadata }
    : {
        [KEYS.labels]: JSON.stringify(opts.labels),
        [KEYS.preprocess]: JSON.stringify(preprocess),
        [KEYS.inputSize]: JSON.stringify(opts.size),
        [KEYS.version]: '1',
        ...opts.metadata,
      };
  const w = protobuf.Writer.create();
  varint(w, 1, 8); // ir_version
  str(w, 2, 'headstart-test');
  msg(w, 7, (g) => {
    node(g, 'ReduceMean', ['pixels'], ['mean'], (n) => {
      msg(n, 5, (a) => {
        str(a, 1, 'axes');
        a.uint32((8 << 3) | 2).fork().int64(1).int64(2).ldelim();
        varint(a, 20, ATTR_INTS);
      });
      msg(n, 5, (a) => {
        str(a, 1, 'keepdims');
        varint(a, 3, 0);
        varint(a, 20, ATTR_INT);
      });
    });
    node(g, 'Mul', ['mean', 'scale'], ['scaled']);
    node(g, 'MatMul', ['scaled', 'W'], ['logits0']);
    node(g, 'Add', ['logits0', 'b'], ['logits']);
    node(g, 'Softmax', ['logits'], ['probabilities']);
    str(g, 2, 'tiny_classifier');
    floatTensor(g, 5, 'scale', [], [1 / 255]);
    floatTensor(g, 5, 'W', [3, classes], weights);
    floatTensor(g, 5, 'b', [classes], bias);
    valueInfo(g, 11, 'pixels', ['N', opts.size[0], opts.size[1], 3]);
    valueInfo(g, 12, 'probabilities', ['N', classes]);
  });
  msg(w, 8, (o) => {
    str(o, 1, '');
    varint(o, 2, 13);
  });
  for (const [key, value] of Object.entries(metadata)) {
    msg(w, 14, (e) => {
      str(e, 1, key);
      str(e, 2, value);
    });
  }
  return w.finish();
}
