import { HeadstartError } from '@headstart/core';
import type { Weight } from '@headstart/core';
import type { GraphBuilder } from '../onnx/graph-builder.ts';
import type { KerasNode } from '@headstart/core';

/** A tensor in the ONNX graph: its name and its Keras (channels-last) shape, batch first. Rank-4 tensors are stored NCHW in ONNX. */
export interface Tensor {
  name: string;
  shape: (number | null)[];
}

/** BatchNormalization parameters folded into the preceding layer's weights. */
export interface FoldedBn {
  scale: Float32Array;
  shift: Float32Array;
}

/** Everything a layer emitter sees. */
export interface EmitContext {
  b: GraphBuilder;
  node: KerasNode;
  inputs: Tensor[];
  /** A weight of this layer by parameter name (`kernel`, `bias`, `gamma`, ...). */
  weight(param: string): Weight;
  hasWeight(param: string): boolean;
  /** BN folded into this layer's output channels, when legal. */
  fold: FoldedBn | undefined;
  /** True when this (BatchNormalization) node was folded away into its producer. */
  folded: boolean;
}

/** A layer emitter returns its output tensors. */
export type Emitter = (ctx: EmitContext) => Tensor[];

/** Unsupported configuration of a known layer. */
export function unsupported(ctx: EmitContext, what: string): HeadstartError {
  return new HeadstartError(
    'UNSUPPORTED_LAYER',
    `layer ${ctx.node.layerName} (${ctx.node.className}): ${what} is not supported by the ONNX exporter`,
    { details: { layer: ctx.node.layerName, className: ctx.node.className } },
  );
}

/** The single input of a one-input layer. */
export function one(ctx: EmitContext): Tensor {
  const t = ctx.inputs[0];
  if (!t || ctx.inputs.length !== 1) throw unsupported(ctx, `${ctx.inputs.length} inputs`);
  return t;
}

/** Reads a `[a, b]`/number config value as a pair. */
export function pair(v: unknown, fallback: number): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length >= 2) return [Number(v[0]), Number(v[1])];
  return [fallback, fallback];
}

export function cfgNum(ctx: EmitContext, key: string, fallback: number): number {
  const v = ctx.node.config[key];
  return typeof v === 'number' ? v : fallback;
}

/** Spatial dims of an NHWC Keras shape, which must be static. */
export function spatial(ctx: EmitContext, t: Tensor): [number, number] {
  if (t.shape.length !== 4) throw unsupported(ctx, `input of rank ${t.shape.length} (expected 4: NHWC)`);
  const h = t.shape[1];
  const w = t.shape[2];
  if (typeof h !== 'number' || typeof w !== 'number') {
    throw new HeadstartError('INPUT_SIZE_UNSUPPORTED', `layer ${ctx.node.layerName}: spatial size is unknown; export with a fixed input size (--input-size)`);
  }
  return [h, w];
}

/** Keras channel axis (last) mapped to the ONNX axis for a tensor of this rank. */
export function channelAxis(rank: number): number {
  return rank === 4 ? 1 : rank - 1;
}

/** Keras axis (may be negative) → ONNX axis for the stored layout. */
export function onnxAxis(kerasAxis: number, rank: number): number {
  const a = kerasAxis < 0 ? kerasAxis + rank : kerasAxis;
  if (rank !== 4) return a;
  return [0, 2, 3, 1][a]!;
}

/** Shape that broadcasts a per-channel vector against a tensor of this rank in ONNX layout. */
export function channelShape(c: number, rank: number): number[] {
  return rank === 4 ? [c, 1, 1] : [c];
}

/** Output length of a conv/pool along one axis, Keras semantics, and its explicit pads. */
export function convAxis(size: number, k: number, s: number, d: number, padding: string): { out: number; before: number; after: number } {
  const dk = (k - 1) * d + 1;
  if (padding === 'same') {
    const out = Math.ceil(size / s);
    const total = Math.max((out - 1) * s + dk - size, 0);
    const before = Math.floor(total / 2);
    return { out, before, after: total - before };
  }
  return { out: Math.floor((size - dk) / s) + 1, before: 0, after: 0 };
}
