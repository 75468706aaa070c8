/** The training loss of a batch or of one share of it, identical on the main thread and in step workers. */
import { tfc, type LayersModel } from '../tf.ts';

/** What the loss of a share needs besides the model and its inputs. */
export interface ShareLossSpec {
  classes: number;
  /** Per-class weights (the loss is then Σ w[y]·nll / total). */
  classWeights?: tfc.Tensor1D;
  /** Samples in the whole batch: the share's loss is its part of the batch mean. */
  total: number;
  /** L2 penalties added once per batch (by exactly one share). */
  l2?: { v: tfc.Tensor; l2: number }[];
}

/**
 * Σ over the share of (class-weighted) cross-entropy, divided by the whole batch's size, plus the
 * L2 terms given: the shares' losses and gradients add up to those of the batch mean.
 * Returns the loss and the share's predicted classes (int32).
 */
export function shareLoss(model: LayersModel, xs: tfc.Tensor[], y: tfc.Tensor1D, s: ShareLossSpec): { loss: tfc.Scalar; pred: tfc.Tensor1D } {
  let pred: tfc.Tensor1D | undefined;
  const loss = tfc.tidy(() => {
    const probs = model.apply(xs.length === 1 ? (xs[0] as tfc.Tensor) : xs, { training: true }) as tfc.Tensor;
    pred = tfc.keep(tfc.argMax(probs, 1) as tfc.Tensor1D);
    const nll = tfc.neg(tfc.sum(tfc.mul(tfc.oneHot(y, s.classes), tfc.log(tfc.clipByValue(probs, 1e-7, 1 - 1e-7))), 1));
    const weighted = s.classWeights ? tfc.mul(nll, tfc.gather(s.classWeights, y)) : nll;
    let total = tfc.div(tfc.sum(weighted), s.total);
    for (const p of s.l2 ?? []) total = tfc.add(total, tfc.mul(p.l2, tfc.sum(tfc.square(p.v))));
    return total as tfc.Scalar;
  });
  return { loss, pred: pred as tfc.Tensor1D };
}
