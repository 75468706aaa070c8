/**
 * The recording side of the onnxruntime step graph: ONNX nodes for the forward pass, each with
 * its vector-Jacobian product, replayed in reverse to emit the backward pass into the same graph.
 */
import { GraphBuilder, type AttrValue } from '@headstart/exporter';

/** A tensor of the step graph: its ONNX name and static shape without the batch axis ([H, W, C] for images). */
export interface GTensor {
  name: string;
  shape: number[];
  /** Physical layout of an image tensor: NCHW when set, else NHWC (see layout.ts). */
  layout?: 'nchw';
}

/** Declines a model the engine cannot differentiate (the fit loop then runs the TF.js step). */
export class Unsupported extends Error {}

/** A weight of a layer as the graph sees it: an input (trainable) or an initializer (frozen). */
export interface GWeight {
  name: string;
  /** Index of the trainable variable (order of the model's trainableWeights); -1 when frozen. */
  index: number;
  shape: number[];
}

type Vjp = (dy: string) => (string | null)[];

interface Entry {
  scope: string;
  inputs: GTensor[];
  output: GTensor;
  vjp: Vjp;
}

/** Records forward nodes with their VJPs; `backward` then emits gradients of every trainable weight. */
export class Tape {
  readonly b = new GraphBuilder({ fp16: false });
  private readonly entries: Entry[] = [];
  /** Tensors whose gradient is needed (they depend on a trainable weight). */
  private readonly live = new Set<string>();
  /** Gradients of trainable weights, by trainable index (summed when a weight is used twice). */
  readonly weightGrads = new Map<number, string[]>();

  /** Prefix of the nodes emitted now: the layer (forward) or `<layer>_grad` (backward), so profiles name layers. */
  scope = 'graph';

  private readonly memos = new Map<string, GTensor>();

  constructor(readonly training: boolean) {}

  /** The tensor `make` builds, built once per key (e.g. one layout change per tensor). */
  memo(key: string, make: () => GTensor): GTensor {
    const known = this.memos.get(key);
    if (known) return known;
    const made = make();
    this.memos.set(key, made);
    return made;
  }

  /** Adds one node; returns the output name. */
  op(type: string, inputs: string[], attrs: Record<string, AttrValue> = {}, hint = type): string {
    return this.b.op(type, inputs, attrs, `${this.scope}/${hint}`);
  }

  /** Adds one node of onnxruntime's own domain (e.g. FusedMatMul); returns the output name. */
  msOp(type: string, inputs: string[], attrs: Record<string, AttrValue> = {}, hint = type): string {
    return this.b.msOp(type, inputs, attrs, `${this.scope}/${hint}`);
  }

  /** An int64 constant. */
  i64(values: number[]): string {
    return this.b.constI64(values, 'c');
  }

  /** A float32 scalar constant. */
  f32(v: number): string {
    return this.b.scalar(v, 'c');
  }

  /** True when the gradient of `t` is needed. */
  isLive(t: GTensor): boolean {
    return this.live.has(t.name);
  }

  /** Marks `t` as carrying gradient (called by rules for outputs of layers with trainable weights). */
  markLive(t: GTensor): void {
    this.live.add(t.name);
  }

  /**
   * Records a forward step: `output` was computed from `inputs`; `vjp(dy)` returns the gradient
   * names of the inputs (null where not needed). The output is live when an input is or `live` says so.
   */
  record(inputs: GTensor[], output: GTensor, vjp: Vjp, live = false): GTensor {
    if (!this.training) return output;
    if (live || inputs.some((t) => this.isLive(t))) {
      this.live.add(output.name);
      this.entries.push({ scope: this.scope, inputs, output, vjp });
    }
    return output;
  }

  /** Adds the gradient `g` of trainable weight `w` (no-op for frozen weights). */
  weightGrad(w: GWeight, g: string): void {
    if (w.index < 0) return;
    const list = this.weightGrads.get(w.index) ?? [];
    list.push(g);
    this.weightGrads.set(w.index, list);
  }

  /** Emits the backward pass from `seed` (the gradient of `output`). */
  backward(output: GTensor, seed: string): void {
    const grads = new Map<string, string[]>([[output.name, [seed]]]);
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i] as Entry;
      const parts = grads.get(e.output.name);
      if (!parts) continue;
      this.scope = `${e.scope}_grad`;
      const dy = this.sum(parts, e.output.name);
      const dxs = e.vjp(dy);
      e.inputs.forEach((t, k) => {
        const g = dxs[k];
        if (!g || !this.isLive(t)) return;
        const list = grads.get(t.name) ?? [];
        list.push(g);
        grads.set(t.name, list);
      });
    }
  }

  /** One name for the sum of several gradient parts. */
  sum(parts: string[], hint: string): string {
    return parts.length === 1 ? (parts[0] as string) : this.op('Sum', parts, {}, `${hint}_grad`);
  }
}
