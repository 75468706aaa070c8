/**
 * The optional `cam` output: per-class Grad-CAM values Σ_k α_kc A_k at every position of the
 * head's input feature map A, for heads whose logits are linear in A — [BatchNormalization] →
 * GlobalAveragePooling2D | GlobalMaxPooling2D | Flatten → [Dropout] → Dense (Headstart's heads
 * without dense blocks). There d logit_c / dA does not depend on the image, so α (its spatial
 * mean) is a constant matrix and the exported graph computes Grad-CAM exactly with one MatMul;
 * consumers apply ReLU and normalise (core's classChannel / normalizeHeat). Heads with dense
 * blocks have image-dependent gradients: no `cam` output (explain those from the run folder).
 * Max pooling takes the one-argmax gradient; where a channel's maximum is tied, TF.js's gradient
 * reaches every tied cell instead, so the two differ on such images.
 */
import { ONNX_CAM_OUTPUT, type KerasNode, type Weight } from '@headstart/core';
import { activationName } from './layers/activation.ts';
import { bnOnLastAxis } from './layers/core.ts';

/** Name of the Grad-CAM output: [N, h, w, classes], before ReLU (core owns the name). */
export const CAM_OUTPUT = ONNX_CAM_OUTPUT;

/** A head whose logits are linear in the feature map, with the matrix α [channels, classes]. */
export interface LinearHead {
  /** Tensor key of the feature map A (the head's input). */
  feature: string;
  /** The BatchNormalization node between A and the pooling, when there is one (it must not be folded away). */
  bn?: KerasNode;
  /** α as a row-major [channels, classes] matrix. */
  alpha: Float32Array;
  channels: number;
  classes: number;
}

/** BN inference scale per channel: gamma / sqrt(variance + epsilon). */
type BnScale = (bn: KerasNode) => Float32Array;

/**
 * Finds a linear head ending at `outKey` and computes α, or says why there is none.
 * `shapeOf` gives a tensor's Keras shape ([N, h, w, C]); `weight` a layer's parameter.
 */
export function linearHead(
  outKey: string,
  producer: ReadonlyMap<string, KerasNode>,
  shapeOf: (key: string) => (number | null)[] | undefined,
  weight: (node: KerasNode, param: string) => Weight | undefined,
  bnScale: BnScale,
): LinearHead | { reason: string } {
  const dense = producer.get(outKey);
  if (!dense || dense.className !== 'Dense') return { reason: 'the model does not end in a Dense layer' };
  const act = activationName(dense.config['activation']);
  if (!['softmax', 'linear', 'sigmoid'].includes(act)) return { reason: `the output Dense layer's activation is ${act}` };
  let node = producer.get(dense.inputs[0] ?? '');
  while (node && node.className === 'Dropout') node = producer.get(node.inputs[0] ?? '');
  if (!node || !['GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'Flatten'].includes(node.className)) {
    return { reason: `the output Dense layer reads ${node ? `${node.layerName} (${node.className})` : 'the model input'}, not a pooling of a feature map: a head with dense blocks has no image-independent Grad-CAM weights` };
  }
  const pool = node;
  let feature = pool.inputs[0] ?? '';
  const before = producer.get(feature);
  let bn: KerasNode | undefined;
  if (before?.className === 'BatchNormalization') {
    bn = before;
    feature = bn.inputs[0] ?? '';
  }
  const shape = shapeOf(feature);
  if (!shape || shape.length !== 4 || shape.slice(1).some((d) => d == null)) return { reason: `the head's input ${feature} is not a fixed-size feature map (${JSON.stringify(shape)})` };
  if (bn && !bnOnLastAxis(bn.config, 4)) return { reason: `${bn.layerName} does not normalise the channel axis` };
  const [, h, w, c] = shape as [null, number, number, number];
  const kernel = weight(dense, 'kernel');
  if (!kernel || kernel.shape.length !== 2) return { reason: `${dense.layerName} has no 2-D kernel` };
  const [inDim, classes] = kernel.shape as [number, number];
  const flat = pool.className === 'Flatten';
  if (inDim !== (flat ? h * w * c : c)) return { reason: `${dense.layerName}'s kernel has ${inDim} inputs, the pooled map ${flat ? h * w * c : c}` };
  const scale = bn ? bnScale(bn) : new Float32Array(c).fill(1);
  const alpha = new Float32Array(c * classes);
  const cells = h * w;
  for (let k = 0; k < c; k++) {
    for (let j = 0; j < classes; j++) {
      let wkj = 0;
      // avg / max pooling: d logit / dA_k is w_kj spread over (avg) or put at one of (max) the h·w cells;
      // flatten: w[(p·C + k), j] at cell p. Either way α = spatial mean.
      if (flat) for (let p = 0; p < cells; p++) wkj += kernel.values[(p * c + k) * classes + j] as number;
      else wkj = kernel.values[k * classes + j] as number;
      alpha[k * classes + j] = ((scale[k] as number) * wkj) / cells;
    }
  }
  return { feature, ...(bn ? { bn } : {}), alpha, channels: c, classes };
}
