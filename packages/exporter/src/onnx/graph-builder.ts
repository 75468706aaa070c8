import { AttrType, DataType, type AttributeMsg, type NodeMsg, type TensorMsg } from './proto.ts';
import { float32ToFloat16 } from '@headstart/core';

/** onnxruntime's operator domain (contrib ops such as FusedMatMul). */
export const MS_DOMAIN = 'com.microsoft';

/** Attribute values accepted by {@link GraphBuilder.op}. */
export type AttrValue = number | number[] | string | { float: number } | { floats: number[] };

/** Accumulates ONNX nodes and initializers with unique names, in topological order. */
export class GraphBuilder {
  readonly nodes: NodeMsg[] = [];
  readonly initializers: TensorMsg[] = [];
  /** Cast nodes for fp16 weights; they go first in the graph. */
  readonly castNodes: NodeMsg[] = [];
  private readonly used = new Set<string>();

  constructor(private readonly opts: { fp16: boolean }) {}

  /** A fresh name derived from `hint`. */
  unique(hint: string): string {
    const base = hint.replace(/[^A-Za-z0-9_./:-]/g, '_') || 't';
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Marks names as taken (e.g. every tensor of a graph this one is merged with). */
  claim(names: Iterable<string>): void {
    for (const n of names) this.used.add(n);
  }

  /** Reserves an exact name (graph input/output). */
  reserve(name: string): string {
    if (this.used.has(name)) throw new RangeError(`ONNX name ${name} is already used`);
    this.used.add(name);
    return name;
  }

  /** Adds one node with one output; returns the output name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, hint = opType, output?: string): string {
    const out = output ?? this.unique(hint);
    this.nodes.push({ name: this.unique(`${hint}/${opType}`), opType, input: inputs, output: [out], attribute: toAttributes(attrs) });
    return out;
  }

  /**
   * Adds one node of onnxruntime's own operator domain (`com.microsoft`, e.g. FusedMatMul with
   * transA), for graphs only onnxruntime runs; the model must import that domain ({@link MS_DOMAIN}).
   */
  msOp(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, hint = opType): string {
    const out = this.op(opType, inputs, attrs, hint);
    (this.nodes[this.nodes.length - 1] as NodeMsg).domain = MS_DOMAIN;
    return out;
  }

  /** Whether any node is in onnxruntime's own domain. */
  usesMsDomain(): boolean {
    return this.nodes.some((n) => n.domain === MS_DOMAIN);
  }

  /** A float32 weight initializer (stored as fp16 plus a Cast when fp16 export is on and it is large). */
  weight(values: Float32Array, dims: number[], hint: string): string {
    if (this.opts.fp16 && values.length >= 64) {
      const half = new Uint16Array(values.length);
      for (let i = 0; i < values.length; i++) half[i] = float32ToFloat16(values[i] ?? 0);
      const stored = this.unique(`${hint}_fp16`);
      this.initializers.push({ name: stored, dims, dataType: DataType.FLOAT16, rawData: leBytes16(half) });
      const out = this.unique(hint);
      this.castNodes.push({ name: this.unique(`${hint}/Cast`), opType: 'Cast', input: [stored], output: [out], attribute: toAttributes({ to: DataType.FLOAT }) });
      return out;
    }
    return this.constF32(values, dims, hint);
  }

  /** A float32 constant initializer (always float32). */
  constF32(values: ArrayLike<number>, dims: number[], hint = 'const'): string {
    const name = this.unique(hint);
    this.initializers.push({ name, dims, dataType: DataType.FLOAT, rawData: leBytes32(Float32Array.from(values)) });
    return name;
  }

  /** An int64 constant initializer (shapes, pads, axes). */
  constI64(values: number[], hint = 'shape'): string {
    const name = this.unique(hint);
    const buf = new Uint8Array(values.length * 8);
    const view = new DataView(buf.buffer);
    values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    this.initializers.push({ name, dims: [values.length], dataType: DataType.INT64, rawData: buf });
    return name;
  }

  /** A float32 scalar constant. */
  scalar(v: number, hint = 'scalar'): string {
    return this.constF32([v], [], hint);
  }

  /** All nodes in a valid topological order. */
  allNodes(): NodeMsg[] {
    return [...this.castNodes, ...this.nodes];
  }
}

function leBytes32(a: Float32Array): Uint8Array {
  const out = new Uint8Array(a.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) view.setFloat32(i * 4, a[i] ?? 0, true);
  return out;
}

function leBytes16(a: Uint16Array): Uint8Array {
  const out = new Uint8Array(a.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) view.setUint16(i * 2, a[i] ?? 0, true);
  return out;
}

function toAttributes(attrs: Record<string, AttrValue>): AttributeMsg[] {
  return Object.entries(attrs).map(([name, v]): AttributeMsg => {
    if (typeof v === 'number') return { name, type: AttrType.INT, i: v };
    if (typeof v === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(v) };
    if (Array.isArray(v)) return { name, type: AttrType.INTS, ints: v };
    if ('float' in v) return { name, type: AttrType.FLOAT, f: v.float };
    return { name, type: AttrType.FLOATS, floats: v.floats };
  });
}
