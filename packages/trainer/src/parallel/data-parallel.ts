/**
 * Data-parallel training steps on worker_threads: each batch is split into equal shares, the main
 * thread computes the gradients of its share while each worker computes those of another (on its
 * own wasm instance, so on another core), and the sum is exactly the gradient of the batch mean.
 * Weights go to the workers and gradients come back through SharedArrayBuffers.
 */
import { Worker } from 'node:worker_threads';
import { HeadstartError } from '@headstart/core';
import type { BackendName } from '../backend/select-backend.ts';
import { isPinned } from '../model/modes.ts';
import { tfc, type LayersModel } from '../tf.ts';
import type { InitMessage, StepMessage, WorkerReply } from './protocol.ts';
import { shareLoss } from './share-loss.ts';

/** Result of one data-parallel step's gradient computation. */
export interface ParallelGradients {
  /** Batch-mean loss (plus L2) and correct predictions over the whole batch. */
  loss: number;
  correct: number;
  /** Gradients by variable name, summed over the shares. */
  grads: tfc.NamedTensorMap;
}

interface Pending {
  resolve: (r: WorkerReply) => void;
}

function waitFor(w: Worker, pending: Map<Worker, Pending>): Promise<WorkerReply> {
  return new Promise((resolve) => pending.set(w, { resolve }));
}

/** Start and end of share `k` of `n` samples split into `shares`. */
export function shareRange(n: number, shares: number, k: number): [number, number] {
  return [Math.floor((n * k) / shares), Math.floor((n * (k + 1)) / shares)];
}

/** A pool of step workers holding replicas of one model. */
export class DataParallelSteps {
  private readonly pending = new Map<Worker, Pending>();
  private readonly weights: Float32Array;
  private readonly grads: Float32Array[];

  private constructor(
    private readonly model: LayersModel,
    private readonly vars: tfc.Variable[],
    private readonly workers: Worker[],
    buffers: { weights: SharedArrayBuffer; grads: SharedArrayBuffer[] },
    private readonly classes: number,
    private readonly classWeights: tfc.Tensor1D | undefined,
  ) {
    this.weights = new Float32Array(buffers.weights);
    this.grads = buffers.grads.map((b) => new Float32Array(b));
    for (const w of workers) {
      w.on('message', (r: WorkerReply) => {
        const p = this.pending.get(w);
        this.pending.delete(w);
        p?.resolve(r);
      });
      const fail = (message: string): void => {
        const p = this.pending.get(w);
        this.pending.delete(w);
        p?.resolve({ type: 'error', message });
      };
      w.on('error', (e) => fail(e.message));
      w.on('exit', (code) => fail(`the worker exited (code ${code})`));
    }
  }

  /** Starts `workers` replicas of `model` (its current weights, trainable flags and pinned layers). */
  static async start(model: LayersModel, o: { workers: number; backend: BackendName; classes: number; classWeights?: number[] }): Promise<DataParallelSteps> {
    const vars = model.trainableWeights.map((w) => w.read() as tfc.Variable);
    const floats = vars.reduce((s, v) => s + v.size, 0);
    const weights = new SharedArrayBuffer(floats * 4);
    const grads = Array.from({ length: o.workers }, () => new SharedArrayBuffer(floats * 4));
    const entry = new URL('./worker-entry.mjs', import.meta.url);
    const workers = Array.from({ length: o.workers }, () => new Worker(entry));
    const pool = new DataParallelSteps(model, vars, workers, { weights, grads }, o.classes, o.classWeights ? tfc.tensor1d(o.classWeights) : undefined);
    const values = await Promise.all(model.weights.map(async (w) => (await w.read().data()) as Float32Array));
    const init = (i: number): InitMessage => ({
      type: 'init',
      backend: o.backend,
      topology: JSON.stringify(model.toJSON(null, false)),
      weights: values,
      trainable: model.layers.filter((l) => l.trainable).map((l) => l.name),
      pinned: model.layers.filter((l) => isPinned(l)).map((l) => l.name),
      classes: o.classes,
      ...(o.classWeights ? { classWeights: o.classWeights } : {}),
      weightBuffer: weights,
      gradBuffer: grads[i] as SharedArrayBuffer,
    });
    try {
      const replies = await Promise.all(workers.map((w, i) => {
        const r = waitFor(w, pool.pending);
        w.postMessage(init(i));
        return r;
      }));
      const bad = replies.find((r) => r.type === 'error');
      if (bad && bad.type === 'error') throw new HeadstartError('BACKEND_UNAVAILABLE', `A training worker failed to start: ${bad.message.split('\n')[0]}`);
    } catch (e) {
      await pool.dispose();
      throw e;
    }
    return pool;
  }

  /** Number of shares a batch is split into (workers + the main thread). */
  get shares(): number {
    return this.workers.length + 1;
  }

  /**
   * Gradients of the batch-mean loss of (xs, labels) with respect to the model's trainable
   * weights: share 0 here (with the L2 terms), the others in the workers.
   */
  async gradients(xs: tfc.Tensor[], labels: Int32Array, seeds: number[], l2: { v: tfc.Tensor; l2: number }[]): Promise<ParallelGradients> {
    const n = labels.length;
    let off = 0;
    for (const v of this.vars) {
      this.weights.set((await v.data()) as Float32Array, off);
      off += v.size;
    }
    const replies = await Promise.all(
      this.workers.map(async (w, k) => {
        const [a, b] = shareRange(n, this.shares, k + 1);
        const parts = await Promise.all(
          xs.map(async (x) => {
            const part = tfc.slice(x, a, b - a);
            // A copy with its own buffer: backends may hand out a view of a shared one, and it is transferred.
            const data = new Float32Array((await part.data()) as Float32Array);
            part.dispose();
            return { data, shape: part.shape };
          }),
        );
        return { w, parts, y: labels.slice(a, b) };
      }),
    ).then((msgs) =>
      msgs.map(({ w, parts, y }, k) => {
        const r = waitFor(w, this.pending);
        const m: StepMessage = { type: 'step', xs: parts, y, total: n, seed: seeds[k + 1] ?? k + 1 };
        w.postMessage(m, [...parts.map((p) => p.data.buffer as ArrayBuffer), y.buffer as ArrayBuffer]);
        return r;
      }),
    );
    // Share 0 on this thread while the workers run theirs.
    const [a, b] = shareRange(n, this.shares, 0);
    const mine = xs.map((x) => tfc.slice(x, a, b - a));
    const y = tfc.tensor1d(labels.slice(a, b), 'int32');
    let pred: tfc.Tensor1D | undefined;
    const { value, grads } = tfc.variableGrads(() => {
      const out = shareLoss(this.model, mine, y, { classes: this.classes, total: n, ...(this.classWeights ? { classWeights: this.classWeights } : {}), l2 });
      pred = out.pred;
      return out.loss;
    }, this.vars);
    const correctT = tfc.tidy(() => tfc.sum(tfc.cast(tfc.equal(pred as tfc.Tensor1D, y), 'int32')));
    let loss = (await value.data())[0] as number;
    let correct = (await correctT.data())[0] as number;
    tfc.dispose([value, correctT, y, pred as tfc.Tensor, ...mine]);
    const done = await Promise.all(replies);
    done.forEach((r, k) => {
      if (r.type !== 'done') throw new HeadstartError('BACKEND_UNAVAILABLE', `A training worker failed: ${r.type === 'error' ? r.message.split('\n')[0] : r.type}`);
      loss += r.loss;
      correct += r.correct;
      let o = 0;
      const buf = this.grads[k] as Float32Array;
      for (const v of this.vars) {
        const mineG = grads[v.name] as tfc.Tensor;
        grads[v.name] = tfc.tidy(() => tfc.add(mineG, tfc.tensor(buf.slice(o, o + v.size), v.shape)));
        mineG.dispose();
        o += v.size;
      }
    });
    return { loss, correct, grads };
  }

  /** Stops the workers. */
  async dispose(): Promise<void> {
    this.classWeights?.dispose();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
