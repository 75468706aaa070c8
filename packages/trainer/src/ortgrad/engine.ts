/**
 * The onnxruntime training-step engine: each step's forward + backward of the trainable top runs
 * as one ONNX graph (see build-graph.ts) on onnxruntime-node with every core; the optimizer stays
 * TF.js's, fed the gradients this returns.
 */
import { availableParallelism } from 'node:os';
import type { Rng } from '@headstart/core';
import { createSession, type FloatTensor, type OnnxSession, type SessionOptions } from '@headstart/inference/node';
import { tfc, type LayersModel } from '../tf.ts';
import { buildStepGraph, type StepGraph } from './build-graph.ts';

/** Loss (batch mean + L2), correct predictions and gradients (in the order of the model's trainable weights) of one batch. */
export interface StepGradients {
  loss: number;
  correct: number;
  grads: Float32Array[];
}

/** Computes the gradients of one training step (TF.js workers or onnxruntime). */
export interface GradientEngine {
  /**
   * Gradients of the batch-mean loss of (xs, labels); `rng` drives the step's dropout masks;
   * `weights` are the trainable weights' current values when the caller holds them (else read from TF.js).
   */
  gradients(xs: tfc.Tensor[], labels: Int32Array, rng: Rng, weights?: Float32Array[]): Promise<StepGradients>;
  dispose(): Promise<void>;
}

/** Options of {@link OrtStepEngine.create}. */
export interface OrtStepOptions {
  classes: number;
  classWeights?: number[];
  l2?: { weight: string; l2: number }[];
  /** Intra-op threads (default: every core). */
  threads?: number;
  /** onnxruntime profiling of the step session (per-node times), written under this file prefix. */
  profile?: string;
  /** Idle onnxruntime threads spin between steps (default false: the optimizer update needs the cores then). */
  spin?: boolean;
}

async function floats(t: tfc.Tensor): Promise<Float32Array> {
  return (await t.data()) as Float32Array;
}

/**
 * The mask of dropout layer `j` for one step: each value 0 with probability `rate`, else 1/(1−rate).
 * Seeded from `rng`'s stream 7000 + j; the values come from an inline xorshift128 (a JS call per
 * value cost a step ~25 ms on the scratch CNN's 32 × 16384 mask). Written into `out` when it is
 * given and long enough (the step reuses one buffer per mask).
 */
export function dropoutMask(rng: Rng, j: number, size: number, rate: number, out?: Float32Array): Float32Array {
  const r = rng.fork(7000 + j);
  const data = out && out.length >= size ? out.subarray(0, size) : new Float32Array(size);
  const keep = 1 / (1 - rate);
  const threshold = Math.floor(rate * 2 ** 32);
  const word = (): number => Math.floor(r.next() * 2 ** 32) | 0;
  let a = word() | 1;
  let b = word();
  let c = word();
  let d = word();
  for (let i = 0; i < size; i++) {
    const t = a ^ (a << 11);
    a = b;
    b = c;
    c = d;
    d = d ^ (d >>> 19) ^ t ^ (t >>> 8);
    data[i] = d >>> 0 < threshold ? 0 : keep;
  }
  return data;
}

/** The training and forward-only sessions of one phase's top model. */
export class OrtStepEngine implements GradientEngine {
  /** One reused buffer per dropout mask (onnxruntime copies its feeds; no step keeps a mask). */
  private readonly masks: Float32Array[] = [];

  private constructor(
    private readonly model: LayersModel,
    private readonly step: { graph: StepGraph; session: OnnxSession },
    private readonly forward: { graph: StepGraph; session: OnnxSession },
    private readonly o: OrtStepOptions,
  ) {}

  /** Builds both graphs of `model` and opens them; throws `Unsupported` when a layer has no rule. */
  static async create(model: LayersModel, o: OrtStepOptions): Promise<OrtStepEngine> {
    const stepGraph = buildStepGraph(model, { classes: o.classes, training: true, ...(o.l2 ? { l2: o.l2 } : {}) });
    const fwdGraph = buildStepGraph(model, { classes: o.classes, training: false });
    const opts: SessionOptions = { threads: o.threads ?? availableParallelism(), interOpThreads: 1, sequential: true, spin: o.spin ?? false };
    const step = await createSession(stepGraph.bytes, { ...opts, ...(o.profile ? { profile: o.profile } : {}) });
    let fwd: OnnxSession;
    try {
      fwd = await createSession(fwdGraph.bytes, opts);
    } catch (e) {
      await step.release();
      throw e;
    }
    return new OrtStepEngine(model, { graph: stepGraph, session: step }, { graph: fwdGraph, session: fwd }, o);
  }

  private async feeds(g: StepGraph, xs: tfc.Tensor[], weights?: Float32Array[]): Promise<Record<string, FloatTensor>> {
    const feeds: Record<string, FloatTensor> = {};
    await Promise.all(xs.map(async (x, k) => (feeds[g.inputs[k] as string] = { data: await floats(x), dims: x.shape })));
    await Promise.all(this.model.trainableWeights.map(async (w, i) => {
      feeds[g.weights[i] as string] = { data: weights?.[i] ?? (await floats(w.read())), dims: w.shape as number[] };
    }));
    return feeds;
  }

  async gradients(xs: tfc.Tensor[], labels: Int32Array, rng: Rng, weights?: Float32Array[]): Promise<StepGradients> {
    const g = this.step.graph;
    const n = labels.length;
    const k = this.o.classes;
    const feeds = await this.feeds(g, xs, weights);
    const y = new Float32Array(n * k);
    const sw = new Float32Array(n);
    labels.forEach((c, i) => {
      y[i * k + c] = 1;
      sw[i] = (this.o.classWeights?.[c] ?? 1) / n;
    });
    feeds['y'] = { data: y, dims: [n, k] };
    feeds['sw'] = { data: sw, dims: [n] };
    g.masks.forEach((m, j) => {
      const size = n * m.shape.reduce((a, d) => a * d, 1);
      const data = dropoutMask(rng, j, size, m.rate, this.masks[j]);
      if (data.buffer !== this.masks[j]?.buffer) this.masks[j] = data;
      feeds[m.name] = { data, dims: [n, ...m.shape] };
    });
    const out = await this.step.session.run(feeds);
    const pred = (out['pred'] as FloatTensor).data;
    let correct = 0;
    labels.forEach((c, i) => {
      if (pred[i] === c) correct++;
    });
    const grads = g.grads.map((name) => (out[name] as FloatTensor).data);
    return { loss: (out['loss'] as FloatTensor).data[0] as number, correct, grads };
  }

  /** Class probabilities of a batch in inference mode (dropout off, BatchNorm on moving statistics). */
  async predict(xs: tfc.Tensor[], weights?: Float32Array[]): Promise<Float32Array> {
    const out = await this.forward.session.run(await this.feeds(this.forward.graph, xs, weights), ['probs']);
    return (out['probs'] as FloatTensor).data;
  }

  /** Ends profiling (when on): onnxruntime writes its JSON file of per-node times. */
  endProfiling(): void {
    this.step.session.endProfiling?.();
  }

  async dispose(): Promise<void> {
    await Promise.all([this.step.session.release(), this.forward.session.release()]);
  }
}
