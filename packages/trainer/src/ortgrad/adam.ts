/**
 * TF.js's Adam update computed on Float32Array mirrors of the weights and moments (TF.js's own
 * costs ~10 wasm kernels per variable per step). The weights go back into their TF.js variables
 * on `syncWeights` (before anything reads the TF.js model: validation, best-epoch snapshots,
 * checkpoints), not every step; the moments and beta powers go into the optimizer's own variables
 * on `flush` (before every checkpoint), so checkpoints, resume and learning-rate changes see
 * exactly the state TF.js's Adam keeps.
 */
import { tfc } from '../tf.ts';

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

/** Scalars of one Adam update: betas, epsilon, learning rate and the bias corrections 1 − βᵗ. */
interface AdamScalars {
  b1: number;
  b2: number;
  eps: number;
  lr: number;
  c1: number;
  c2: number;
}

/**
 * One Adam update of a weight array in place: a top-level loop with hoisted scalars, the moments
 * rounded to float32 only where they are stored (the same loop as a closure inside `step`, with a
 * Math.fround per moment, cost 57 ms a step on the scratch CNN's 2.1 M weights; this one 28 ms).
 */
function adamUpdate(w: Float32Array, m: Float32Array, s: Float32Array, g: Float32Array, a: AdamScalars): void {
  const { b1, b2, eps, c1, c2 } = a;
  const a1 = 1 - b1;
  const a2 = 1 - b2;
  const step = -a.lr;
  const n = w.length;
  for (let k = 0; k < n; k++) {
    const gk = g[k] as number;
    const mk = (m[k] as number) * b1 + gk * a1;
    const sk = (s[k] as number) * b2 + gk * gk * a2;
    m[k] = mk;
    s[k] = sk;
    w[k] = (w[k] as number) + (mk / c1 / (Math.sqrt(sk / c2) + eps)) * step;
  }
}

/** Adam steps of `vars` (in the order TF.js's applyGradients would see them) on mirrors of their values. */
export class FastAdam {
  /** Current weight values (what the next step's gradients must be computed at). */
  readonly weights: Float32Array[];
  private readonly m: Float32Array[];
  private readonly s: Float32Array[];
  private acc1: number;
  private acc2: number;
  private dirty = false;
  private weightsDirty = false;

  constructor(
    private readonly opt: AdamLike,
    private readonly vars: tfc.Variable[],
  ) {
    this.weights = vars.map((v) => new Float32Array(v.dataSync() as Float32Array));
    this.m = vars.map((v, i) => new Float32Array(moment(opt.accumulatedFirstMoment, i, v, 'm').variable.dataSync() as Float32Array));
    this.s = vars.map((v, i) => new Float32Array(moment(opt.accumulatedSecondMoment, i, v, 'v').variable.dataSync() as Float32Array));
    this.acc1 = opt.accBeta1.dataSync()[0] as number;
    this.acc2 = opt.accBeta2.dataSync()[0] as number;
  }

  /** One Adam step with `grads` on the mirrors (`weights`); `syncWeights` hands them to TF.js. */
  step(grads: Float32Array[]): void {
    const { beta1: b1, beta2: b2, epsilon: eps, learningRate: lr } = this.opt;
    const c1 = Math.fround(1 - this.acc1);
    const c2 = Math.fround(1 - this.acc2);
    this.vars.forEach((_, i) => {
      adamUpdate(this.weights[i] as Float32Array, this.m[i] as Float32Array, this.s[i] as Float32Array, grads[i] as Float32Array, { b1, b2, eps, lr, c1, c2 });
    });
    this.acc1 = Math.fround(this.acc1 * b1);
    this.acc2 = Math.fround(this.acc2 * b2);
    this.opt.incrementIterations();
    this.dirty = true;
    this.weightsDirty = true;
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
