/**
 * TF.js's Adam update computed on mirrors of the weights and moments in WebAssembly memory, by a
 * SIMD kernel that gives TF.js's own float32 results (TF.js's update costs ~10 wasm kernels per
 * variable per step). The weights go back into their TF.js variables on `syncWeights` (before
 * anything reads the TF.js model: validation, best-epoch snapshots, checkpoints), not every step;
 * the moments and beta powers go into the optimizer's own variables on `flush` (before every
 * checkpoint), so checkpoints, resume and learning-rate changes see exactly the state TF.js's Adam
 * keeps. With enough values, half of the update runs on a helper thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { tfc } from '../tf.ts';
import { adamKernel, type AdamKernel, type AdamScalars } from './adam-kernel.mjs';

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
 * The most trainable values FastAdam mirrors: its WebAssembly memory (weights, moments and
 * gradients: four values per weight value) stays within 1 GiB of wasm32's 4 GiB. Larger top
 * models train with TF.js's own Adam update.
 */
export const FAST_ADAM_MAX_VALUES = 1 << 26;

/** Values rounded up to the kernel's four lanes. */
const lanes = (n: number): number => (n + 3) & ~3;

/**
 * Float32 regions of one WebAssembly memory, each 16-byte aligned and a whole number of lanes
 * long (padding stays zero: the kernel leaves a weight with zero gradient and moments unchanged).
 * Sized once: the memory never grows, so views on it stay valid.
 */
class Arena {
  readonly memory: WebAssembly.Memory;
  readonly kernel: AdamKernel;
  private next = 0;

  constructor(values: number, shared: boolean) {
    const pages = Math.max(1, Math.ceil((values * 4) / 65536));
    this.memory = new WebAssembly.Memory(shared ? { initial: pages, maximum: pages, shared: true } : { initial: pages });
    this.kernel = adamKernel(this.memory);
  }

  /** A region of `n` values (rounded up to lanes): its byte offset. */
  alloc(n: number): number {
    const at = this.next;
    this.next += lanes(n) * 4;
    return at;
  }

  view(at: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, n);
  }
}

/**
 * One thread's part of a weight: its values [from, from + n) of the weight, and the byte offsets
 * in `arena` of those values, their moments and their gradient.
 */
interface Part {
  arena: Arena;
  from: number;
  n: number;
  w: number;
  m: number;
  s: number;
  g: number;
}

/** A part placed in `arena` (its values at `w` when they are already there: the main thread's full weight). */
function place(arena: Arena, from: number, n: number, w?: number): Part {
  return { arena, from, n, w: w ?? arena.alloc(n), m: arena.alloc(n), s: arena.alloc(n), g: arena.alloc(n) };
}

/** Copies the part's share of a whole-weight array (`values`) into its region `at`. */
function load(p: Part, at: number, values: Float32Array): void {
  p.arena.view(at, p.n).set(values.subarray(p.from, p.from + p.n));
}

/**
 * A worker thread (adam-worker.mjs) running the second half of the update (by values, over the
 * weights in order) while the main thread runs the first: every core works on the update, which
 * otherwise runs alone between two onnxruntime steps.
 */
class AdamHelper {
  private seq = 0;

  private constructor(
    private readonly worker: Worker,
    private readonly ctrl: Int32Array,
    private readonly scalars: Float64Array,
  ) {}

  /** Starts the thread on its `parts` of the shared `memory`. */
  static start(memory: WebAssembly.Memory, parts: readonly Part[]): AdamHelper {
    const ctrl = new Int32Array(new SharedArrayBuffer(3 * 4));
    const scalars = new Float64Array(new SharedArrayBuffer(8 * 8));
    const workerData = { ctrl: ctrl.buffer, scalars: scalars.buffer, memory, parts: parts.map((p) => [p.w, p.m, p.s, p.g, lanes(p.n)]) };
    const worker = new Worker(new URL('./adam-worker.mjs', import.meta.url), { workerData });
    worker.unref();
    return new AdamHelper(worker, ctrl, scalars);
  }

  /** Asks for one step with these scalars. */
  begin(a: AdamScalars): void {
    this.scalars.set([a.b1, a.a1, a.b2, a.a2, a.c1, a.c2, a.eps, a.nlr]);
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

/**
 * Where the helper's part of each weight starts when it takes every value from position `cut` of
 * their concatenation on. (The main thread's kernel runs whole lanes: past the start of the
 * helper's part it meets zero gradient and moments, which leave a weight as it was, and the
 * helper's values are copied over them after the step.)
 */
function helperStarts(lengths: number[], cut: number): number[] {
  let offset = 0;
  return lengths.map((n) => {
    const mid = Math.min(n, Math.max(0, cut - offset));
    offset += n;
    return mid;
  });
}

/** Adam steps of `vars` (in the order TF.js's applyGradients would see them) on mirrors of their values. */
export class FastAdam {
  /** Whether `vars` are few enough to mirror ({@link FAST_ADAM_MAX_VALUES}). */
  static fits(vars: readonly tfc.Variable[]): boolean {
    return vars.reduce((a, v) => a + v.size, 0) <= FAST_ADAM_MAX_VALUES;
  }

  /** Current weight values (what the next step's gradients must be computed at; views on plain, unshared memory, as onnxruntime's feeds need). */
  readonly weights: Float32Array[];
  /** Each weight's part on the main thread: values [0, mid), its value region the whole weight's. */
  private readonly main: Part[];
  /** Each weight's part on the helper thread (values [mid, n)), if any. */
  private readonly hi: (Part | undefined)[];
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
    const lengths = vars.map((v) => v.size);
    const total = lengths.reduce((a, n) => a + n, 0);
    const mids = helperStarts(lengths, threads > 1 && total >= SPLIT_MIN ? total >> 1 : total);
    const hiLengths = lengths.map((n, i) => n - (mids[i] as number));
    const arena = new Arena(lengths.reduce((a, n, i) => a + lanes(n) + 3 * lanes(mids[i] as number), 0), false);
    const hiTotal = hiLengths.reduce((a, n) => a + 4 * lanes(n), 0);
    const shared = hiTotal > 0 ? new Arena(hiTotal, true) : undefined;
    const wAt = lengths.map((n) => arena.alloc(n));
    this.weights = lengths.map((n, i) => arena.view(wAt[i] as number, n));
    this.main = mids.map((mid, i) => place(arena, 0, mid, wAt[i]));
    this.hi = hiLengths.map((n, i) => (shared && n > 0 ? place(shared, mids[i] as number, n) : undefined));
    vars.forEach((v, i) => {
      const w = this.weights[i] as Float32Array;
      w.set(v.dataSync() as Float32Array);
      const hi = this.hi[i];
      if (hi) load(hi, hi.w, w);
      const m = moment(opt.accumulatedFirstMoment, i, v, 'm').variable.dataSync() as Float32Array;
      const s = moment(opt.accumulatedSecondMoment, i, v, 'v').variable.dataSync() as Float32Array;
      for (const p of this.partsOf(i)) {
        load(p, p.m, m);
        load(p, p.s, s);
      }
    });
    const parts = this.hi.filter((p): p is Part => p !== undefined);
    this.helper = shared && parts.length > 0 ? AdamHelper.start(shared.memory, parts) : undefined;
    this.acc1 = opt.accBeta1.dataSync()[0] as number;
    this.acc2 = opt.accBeta2.dataSync()[0] as number;
  }

  /** Weight `i`'s parts: the main thread's, then the helper's if any. */
  private partsOf(i: number): Part[] {
    const hi = this.hi[i];
    return hi ? [this.main[i] as Part, hi] : [this.main[i] as Part];
  }

  /** One Adam step with `grads` on the mirrors (`weights`); `syncWeights` hands them to TF.js. */
  step(grads: Float32Array[]): void {
    const f = Math.fround;
    const { beta1: b1, beta2: b2, epsilon: eps, learningRate: lr } = this.opt;
    // The scalars as TF.js makes them: float32 tensors of β, 1 − β (computed in double), ε and −lr; 1 − βᵗ in float32.
    const a: AdamScalars = { b1: f(b1), a1: f(1 - b1), b2: f(b2), a2: f(1 - b2), c1: f(1 - this.acc1), c2: f(1 - this.acc2), eps: f(eps), nlr: f(-lr) };
    this.hi.forEach((p, i) => p && load(p, p.g, grads[i] as Float32Array));
    this.helper?.begin(a);
    this.main.forEach((p, i) => {
      load(p, p.g, grads[i] as Float32Array);
      p.arena.kernel(p.w, p.m, p.s, p.g, lanes(p.n), a);
    });
    this.helper?.end();
    this.hi.forEach((p, i) => p && this.weights[i]?.set(p.arena.view(p.w, p.n), p.from));
    this.acc1 = f(this.acc1 * a.b1);
    this.acc2 = f(this.acc2 * a.b2);
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

  /** One moment of weight `i` whole, from its parts. */
  private moment(i: number, which: 'm' | 's'): Float32Array {
    const out = new Float32Array((this.weights[i] as Float32Array).length);
    for (const p of this.partsOf(i)) out.set(p.arena.view(p[which], p.n), p.from);
    return out;
  }

  /** Writes the moments and beta powers into the optimizer's variables (before a checkpoint reads them). */
  flush(): void {
    if (!this.dirty) return;
    this.vars.forEach((_, i) => {
      assign((this.opt.accumulatedFirstMoment[i] as Moment).variable, this.moment(i, 'm'));
      assign((this.opt.accumulatedSecondMoment[i] as Moment).variable, this.moment(i, 's'));
    });
    assign(this.opt.accBeta1, Float32Array.of(this.acc1));
    assign(this.opt.accBeta2, Float32Array.of(this.acc2));
    this.dirty = false;
  }
}
