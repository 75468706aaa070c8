/**
 * Weights in a stable order (layer by layer, each layer's own order), independent of which
 * layers are currently trainable — `LayersModel.weights` lists trainable weights first, so
 * its order changes with a freeze plan.
 */
import { tfc, type LayersModel } from '../tf.ts';

/** The model's weight variables, layer by layer. */
export function stableWeights(model: LayersModel): { shape: number[]; read(): tfc.Tensor }[] {
  return model.layers.flatMap((l) => l.weights).map((w) => ({ shape: w.shape as number[], read: () => w.read() }));
}

/** Copies of all weight values, in stable order. */
export function weightValues(model: LayersModel): Float32Array[] {
  return stableWeights(model).map((w) => new Float32Array(w.read().dataSync() as Float32Array));
}

/** Sets all weights from values in stable order. */
export function setWeightValues(model: LayersModel, values: Float32Array[]): void {
  let k = 0;
  for (const layer of model.layers) {
    const n = layer.weights.length;
    if (n === 0) continue;
    const ts = layer.weights.map((w, i) => tfc.tensor(values[k + i] as Float32Array, w.shape as number[]));
    layer.setWeights(ts);
    ts.forEach((t) => t.dispose());
    k += n;
  }
  if (k !== values.length) throw new RangeError(`setWeightValues: ${values.length} values for ${k} weights`);
}
