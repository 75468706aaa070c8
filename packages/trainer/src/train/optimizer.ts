/** Optimizer creation, learning-rate changes and exact state save/restore. */
import type { PhaseSpec } from '@headstart/core';
import { tfc } from '../tf.ts';

/** A named tensor list (tfjs `NamedTensor`). */
export type NamedTensors = { name: string; tensor: tfc.Tensor }[];

/** Creates the optimizer a phase asks for. */
export function createOptimizer(spec: PhaseSpec, lr: number): tfc.Optimizer {
  switch (spec.optimizer) {
    case 'sgd':
      return tfc.train.momentum(lr, 0.9);
    case 'rmsprop':
      return tfc.train.rmsprop(lr);
    default:
      return tfc.train.adam(lr);
  }
}

/** Sets the learning rate of a tfjs optimizer in place. */
export function setLearningRate(opt: tfc.Optimizer, lr: number): void {
  (opt as unknown as { learningRate: number }).learningRate = lr;
}

interface AdamInternals {
  accBeta1?: tfc.Variable;
  accBeta2?: tfc.Variable;
}

/**
 * The optimizer's full state. tfjs `getWeights` omits Adam's running beta powers, so they
 * are saved as extra entries (restoring them keeps a resumed run bit-identical).
 */
export async function optimizerState(opt: tfc.Optimizer): Promise<NamedTensors> {
  const weights = await opt.getWeights();
  const a = opt as unknown as AdamInternals;
  if (a.accBeta1 && a.accBeta2) {
    weights.push({ name: '__accBeta1', tensor: a.accBeta1 }, { name: '__accBeta2', tensor: a.accBeta2 });
  }
  return weights;
}

/** Restores a state from `optimizerState`. */
export async function restoreOptimizerState(opt: tfc.Optimizer, state: NamedTensors): Promise<void> {
  const extra = state.filter((w) => w.name.startsWith('__accBeta'));
  const rest = state.filter((w) => !w.name.startsWith('__accBeta'));
  await opt.setWeights(rest);
  const a = opt as unknown as AdamInternals;
  for (const e of extra) {
    const v = e.name === '__accBeta1' ? a.accBeta1 : a.accBeta2;
    v?.assign(e.tensor as tfc.Scalar);
  }
}
