/** FLOPs of one layer's forward and backward pass (multiply-adds count 2; elementwise layers 0). */

/** Forward and backward FLOPs of one layer for one batch. */
export interface LayerFlops {
  forward: number;
  backward: number;
}

interface LayerLike {
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  trainable: boolean;
  trainableWeights: unknown[];
}

function prod(xs: readonly number[]): number {
  return xs.reduce((a, b) => a * b, 1);
}

function kernelArea(config: Record<string, unknown>): number {
  const k = config['kernelSize'];
  return Array.isArray(k) ? prod(k as number[]) : typeof k === 'number' ? k * k : 1;
}

/**
 * Conv2D, DepthwiseConv2D and Dense: forward = 2·MACs; backward = forward for the weight gradient
 * when trainable plus forward for the input gradient when `inputNeedsGrad`.
 */
export function layerFlops(layer: LayerLike, inShapes: number[][], outShape: number[], inputNeedsGrad: boolean): LayerFlops {
  const cls = layer.getClassName();
  const inShape = inShapes[0] ?? [];
  const cin = inShape[inShape.length - 1] ?? 0;
  let forward = 0;
  if (cls === 'Conv2D') forward = 2 * prod(outShape) * kernelArea(layer.getConfig()) * cin;
  else if (cls === 'DepthwiseConv2D') forward = 2 * prod(outShape) * kernelArea(layer.getConfig());
  else if (cls === 'Dense') forward = 2 * prod(outShape) * cin;
  const weightGrad = layer.trainable && layer.trainableWeights.length > 0 ? forward : 0;
  return { forward, backward: weightGrad + (inputNeedsGrad ? forward : 0) };
}
