/**
 * TF.js's Adam update computed on Float32Array mirrors of the weights and moments (TF.js's own
 * costs ~10 wasm kernels per variable per step). The weights go back into their TF.js variables
 * on `syncWeights` (before anything reads the TF.js model: validation, best-epoch snapshots,
 * checkpoints), not every step; the moments and beta powers go into the optimizer's own variables
 * on `flush` (before every checkpoint), so checkpoints, resume and learning-rate changes see
 * exactly the state TF.js's Adam keeps. Large weights' updates are shared with a helper thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { tfc } from '../tf.ts';
import { adamUpdate, type AdamScalars } from './adam-kernel.mjs';

interface Moment {
  originalName: string;
  variable: tfc.Variable;
}

/** The fields of tfjs-core's AdamOptimizer this update reads and writes. */
interface AdamLike {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tfc.Variable;
  accBeta2: tfc.Variable;
  accumulatedFirstMoment: (Moment | undefined)[];
  accumulatedSecondMoment: (Moment | undefined)[];
  incrementIterations(): void;
}

/** The optimizer as an Adam whose state this module can update, or undefined (another optimizer). */
export function asAdam(opt: tfc.Optimizer): AdamLike | undefined {
  const a = opt as unknown as Partial<AdamLike>;
  return opt.getClassName() === 'Adam' && a.accBeta1 && a.accBeta2 && Array.isArray(a.accumulatedFirstMoment) ? (a as AdamLike) : undefined;
}

function moment(list: (Moment | undefined)[], i: number, v: tfc.Variable, suffix: string): Moment {
  const m = list[i] ?? { originalName: `${v.name}/${suffix}`, variable: tfc.tidy(() => tfc.zerosLike(v).variable(false)) };
  list[i] = m;
  return m;
}

function assign(v: tfc.Variable, data: Float32Array): void {
  const t = tfc.tensor(data, v.shape);
  v.assign(t);
  t.dispose();
}

/** With at least this many trainable values in all, the helper thread runs half of the update. */
const SPLIT_MIN = 1 << 18;

/** How long a step waits for the helper thread before giving up on it. */
const HELPER_TIMEOUT_MS = 60_000;

/** The helper thread did not finish its half of a step (it failed to start or died). */
export class AdamHelperError extends Error {}

/**
 * A worker thread (adam-worker.mjs) running the second half of the update (by values, over the
 * weights in order) while the main thread runs the first: every core works on the update, which
 * otherwise runs alone between two onnxruntime steps (the scratch CNN's 2.1 M weights: ~28 ms a step).
 */
class AdamHelper {
  private seq = 0;

  private constructor(
    private readonly worker: Worker,
    private readonly ctrl: Int32Array,
    private readonly scalars: Float64Array,
  ) {}

  /** Starts the thread on `parts` ([w, m, s, g] views on shared memory per weight). */
  static start(parts: Float32Array[][]): AdamHelper {
    const ctrl = new Int32Array(new SharedArrayBuffer(3 * 4));
    const scalars = new Float64Array(new SharedArrayBuffer(6 * 8));
    const worker = new Worker(new URL('./adam-worker.mjs', import.meta.url), { workerData: { ctrl: ctrl.buffer, scalars: scalars.buffer, parts } });
    worker.unref();
    return new AdamHelper(worker, ctrl, scalars);
  }

  /** Asks for one step with these scalars. */
  begin(a: AdamScalars): void {
    this.scalars.set([a.b1, a.b2, a.eps, a.lr, a.c1, a.c2]);
    Atomics.store(this.ctrl, 0, ++this.seq);
    Atomics.notify(this.ctrl, 0);
  }

  /** Waits (blocking: the main thread has just done its own half) until the thread has finished the step. */
  end(): void {
    const deadline = Date.now() + HELPER_TIMEOUT_MS;
    for (let done = Atomics.load(this.ctrl, 1); done !== this.seq; done = Atomics.load(this.ctrl, 1)) {
      if (Date.now() > deadline) throw new AdamHelperError(`the Adam helper thread did not finish step ${this.seq} within ${HELPER_TIMEOUT_MS / 1000} s`);
      Atomics.wait(this.ctrl, 1, done, 1000);
    }
  }

  close(): void {
    Atomics.store(this.ctrl, 2, 1);
    Atomics.add(this.ctrl, 0, 1);
    Atomics.notify(this.ctrl, 0);
    void this.worker.terminate();
  }
}

/** A weight the helper updates from `mid` on (0: all of it), through shared copies of that part of w and g. */
interface Split {
  mid: number;
  wHi: Float32Array;
  gHi: Float32Array;
}

/** Where the helper's part of each weight starts when it takes every value from position `cut` of their concatenation on. */
function helperStarts(lengths: number[], cut: number): number[] {
  let offset = 0;
  return lengths.map((n) => {
    const mid = Math.min(n, Math.max(0, cut - offset));
    offset += n;
    return mid;
  });
}

function sharedCopy(values: Float32Array): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(values.length * 4));
  out.set(values);
  return out;
}

/** Adam steps of `vars` (in the order TF.js's applyGradients would see them) on mirrors of their values. */
export class FastAdam {
  /** Current weight values (what the next step's gradients must be computed at; plain memory, as onnxruntime's feeds need). */
  readonly weights: Float32Array[];
  private readonly m: Float32Array[];
  private readonly s: Float32Array[];
  private readonly splits: (Split | undefined)[];
  private readonly helper: AdamHelper | undefined;
  private acc1: number;
  private acc2: number;
  private dirty = false;
  private weightsDirty = false;

  /**
   * `threads` > 1 (default: every core) lets a helper thread run half of the update when there are
   * 256 K trainable values or more: the values from the middle of all weights (in order) to the end.
   */
  constructor(
    private readonly opt: AdamLike,
    private readonly vars: tfc.Variable[],
    o: { threads?: number } = {},
  ) {
    const threads = o.threads ?? availableParallelism();
    this.weights = vars.map((v) => new Float32Array(v.dataSync() as Float32Array));
    const total = this.weights.reduce((n, w) => n + w.length, 0);
    const mids = helperStarts(this.weights.map((w) => w.length), threads > 1 && total >= SPLIT_MIN ? total >> 1 : total);
    const split = (i: number): boolean => (mids[i] as number) < (this.weights[i] as Float32Array).length;
    // Moments of split weights live in shared memory: both threads write them (onnxruntime never reads them).
    const copy = (i: number, values: Float32Array): Float32Array => (split(i) ? sharedCopy(values) : new Float32Array(values));
    this.m = vars.map((v, i) => copy(i, moment(opt.accumulatedFirstMoment, i, v, 'm').variable.dataSync() as Float32Array));
    this.s = vars.map((v, i) => copy(i, moment(opt.accumulatedSecondMoment, i, v, 'v').variable.dataSync() as Float32Array));
    this.splits = this.weights.map((w, i) => {
      if (!split(i)) return undefined;
      const mid = mids[i] as number;
      return { mid, wHi: sharedCopy(w.subarray(mid)), gHi: new Float32Array(new SharedArrayBuffer((w.length - mid) * 4)) };
    });
    const parts = this.splits.flatMap((p, i) => (p ? [[p.wHi, (this.m[i] as Float32Array).subarray(p.mid), (this.s[i] as Float32Array).subarray(p.mid), p.gHi]] : []));
    this.helper = parts.length > 0 ? AdamHelper.start(parts) : undefined;
    this.acc1 = opt.accBeta1.dataSync()[0] as number;
    this.acc2 = opt.accBeta2.dataSync()[0] as number;
  }

  /** One Adam step with `grads` on the mirrors (`weights`); `syncWeights` hands them to TF.js. */
  step(grads: Float32Array[]): void {
    const { beta1: b1, beta2: b2, epsilon: eps, learningRate: lr } = this.opt;
    const a: AdamScalars = { b1, b2, eps, lr, c1: Math.fround(1 - this.acc1), c2: Math.fround(1 - this.acc2) };
    this.splits.forEach((p, i) => p?.gHi.set((grads[i] as Float32Array).subarray(p.mid)));
    this.helper?.begin(a);
    this.vars.forEach((_, i) => {
      const w = this.weights[i] as Float32Array;
      const n = this.splits[i]?.mid ?? w.length;
      const head = (x: Float32Array | undefined): Float32Array => (x as Float32Array).subarray(0, n);
      adamUpdate(head(w), head(this.m[i]), head(this.s[i]), head(grads[i]), a);
    });
    this.helper?.end();
    this.splits.forEach((p, i) => p && (this.weights[i] as Float32Array).set(p.wHi, p.mid));
    this.acc1 = Math.fround(this.acc1 * b1);
    this.acc2 = Math.fround(this.acc2 * b2);
    this.opt.incrementIterations();
    this.dirty = true;
    this.weightsDirty = true;
  }

  /** Stops the helper thread (the mirrors stay readable; no step may follow). */
  close(): void {
    this.helper?.close();
  }

  /** Writes the mirrors into the TF.js variables (when a step changed them since the last sync). */
  syncWeights(): void {
    if (!this.weightsDirty) return;
    this.vars.forEach((v, i) => assign(v, this.weights[i] as Float32Array));
    this.weightsDirty = false;
  }

  /** Writes the moments and beta powers into the optimizer's variables (before a checkpoint reads them). */
  flush(): void {
    if (!this.dirty) return;
    this.vars.forEach((v, i) => {
      assign((this.opt.accumulatedFirstMoment[i] as Moment).variable, this.m[i] as Float32Array);
      assign((this.opt.accumulatedSecondMoment[i] as Moment).variable, this.s[i] as Float32Array);
    });
    assign(this.opt.accBeta1, Float32Array.of(this.acc1));
    assign(this.opt.accBeta2, Float32Array.of(this.acc2));
    this.dirty = false;
  }
}
