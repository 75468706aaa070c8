/**
 * Grad-CAM on a trained Headstart classifier (TF.js): the feature map A at the head's input
 * (the base's cut, the last conv map), α_k = spatial mean of d logit_c / d A_k, and the map
 * ReLU(Σ_k α_k A_k). Gradients come from tf.grad through the head as trained (standardise,
 * pooling or flatten, dense blocks, logits), so every head kind is explained exactly.
 */
import { applyPreprocess, HeadstartError, softmax, weightedChannelSum, type HeatMap, type PreprocessSpec } from '@headstart/core';
import { HEAD_PREFIX } from '../model/head.ts';
import { tfc, tfl, type LayersModel, type SymbolicTensor, type Tensor } from '../tf.ts';

/** Name of the head's output layer (dense + softmax) whose pre-softmax values are the scores. */
const LOGITS_LAYER = `${HEAD_PREFIX}logits`;

/** One explained image. */
export interface GradCamResult {
  /** ReLU(Σ α_k A_k) at the feature map's resolution (not normalised). */
  heat: HeatMap;
  /** The explained class (the top one unless asked otherwise). */
  classIndex: number;
  /** Softmax of the logits (divided by `temperature` when given), one per class. */
  probabilities: Float32Array;
  /** The layer whose output is A. */
  featureLayer: string;
}

interface Layerish {
  name: string;
  apply(x: Tensor): Tensor | Tensor[];
  getInputAt(i: number): SymbolicTensor | SymbolicTensor[];
  getWeights(): Tensor[];
}

/**
 * Grad-CAM for one model: build once, explain many images.
 * @example const cam = GradCam.forModel(model); const r = cam.explain(rgb, manifest.preprocess);
 */
export class GradCam {
  private constructor(
    private readonly features: LayersModel,
    private readonly head: Layerish[],
    private readonly logits: { kernel: Tensor; bias: Tensor | undefined },
    readonly featureLayer: string,
    readonly featureShape: [number, number, number],
  ) {}

  /** Prepares Grad-CAM for a base + head classifier built by Headstart (head layers named `head_*`). */
  static forModel(model: LayersModel): GradCam {
    const layers = model.layers.filter((l) => l.name.startsWith(HEAD_PREFIX)) as unknown as Layerish[];
    const last = layers.at(-1);
    if (!last || last.name !== LOGITS_LAYER) {
      throw new HeadstartError('EXPLAIN_UNAVAILABLE', `cannot explain: the model has no Headstart head ending in ${LOGITS_LAYER} (found ${layers.map((l) => l.name).join(', ') || 'no head_* layers'}); Grad-CAM needs a model trained by headstart train`);
    }
    const input = layers[0]!.getInputAt(0);
    const a = (Array.isArray(input) ? input[0] : input) as SymbolicTensor;
    const shape = a.shape;
    const featureLayer = a.sourceLayer.name;
    if (shape.length !== 4 || model.inputs.some((t) => t.sourceLayer.name === featureLayer)) {
      throw new HeadstartError(
        'EXPLAIN_UNAVAILABLE',
        `cannot explain: the head reads ${featureLayer} (shape ${JSON.stringify(shape)}), not a spatial feature map inside the model (features computed outside TF.js, e.g. by an ONNX base, or already pooled); Grad-CAM needs the base's last conv map — retrain with a TF.js base or a cut that keeps height × width`,
      );
    }
    const [, h, w, c] = shape as [number | null, number, number, number];
    const weights = last.getWeights();
    const features = tfl.model({ inputs: model.inputs, outputs: a, name: 'grad_cam_features' });
    return new GradCam(features, layers.slice(0, -1), { kernel: weights[0]!, bias: weights[1] }, featureLayer, [h, w, c]);
  }

  /**
   * Explains one image, given as RGB uint8 pixels already at `spec.size`: the class `classIndex`
   * (default the top one). `temperature` only rescales the reported probabilities.
   */
  explain(rgb: Uint8Array, spec: PreprocessSpec, opts: { classIndex?: number; temperature?: number } = {}): GradCamResult {
    return this.explainClasses(rgb, spec, [opts.classIndex], opts.temperature)[0] as GradCamResult;
  }

  /**
   * Explains one image for several classes (undefined: the top one), running the base once.
   * `temperature` only rescales the reported probabilities.
   */
  explainClasses(rgb: Uint8Array, spec: PreprocessSpec, classIndices: (number | undefined)[], temperature = 1): GradCamResult[] {
    const [sh, sw] = spec.size;
    if (rgb.length !== sh * sw * 3) throw new RangeError(`explain: expected ${sh}×${sw}×3 RGB bytes, got ${rgb.length}`);
    const [h, w, c] = this.featureShape;
    const x = applyPreprocess(rgb, 1, spec);
    const out = tfc.tidy(() => {
      const a = this.features.predict(tfc.tensor(x, [1, sh, sw, 3])) as Tensor;
      const logitsOf = (t: Tensor): Tensor => {
        let y = t;
        for (const l of this.head) y = l.apply(y) as Tensor;
        const z = tfc.matMul(y as tfc.Tensor2D, this.logits.kernel as tfc.Tensor2D);
        return this.logits.bias ? tfc.add(z, this.logits.bias) : z;
      };
      const logits = Float32Array.from(logitsOf(a).dataSync() as Float32Array);
      const classes = logits.length;
      const alphas = classIndices.map((wanted) => {
        const index = wanted ?? argmax(logits);
        if (!Number.isInteger(index) || index < 0 || index >= classes) throw new RangeError(`explain: class index ${index} is outside 0..${classes - 1}`);
        const grad = tfc.grad((t: Tensor) => tfc.sum(tfc.slice(logitsOf(t), [0, index], [1, 1])))(a);
        return { index, alpha: Float32Array.from(tfc.mean(grad, [0, 1, 2]).dataSync() as Float32Array) };
      });
      return { logits, alphas, features: Float32Array.from(a.dataSync() as Float32Array) };
    });
    const probabilities = Float32Array.from(softmax(out.logits.map((v) => v / temperature), out.logits.length));
    return out.alphas.map(({ index, alpha }) => {
      if (alpha.length !== c) throw new HeadstartError('MODEL_INVALID', `Grad-CAM: ${alpha.length} channel weights for ${c} channels of ${this.featureLayer}`);
      return { heat: weightedChannelSum(out.features, h, w, alpha), classIndex: index, probabilities, featureLayer: this.featureLayer };
    });
  }
}

function argmax(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if ((v[i] as number) > (v[best] as number)) best = i;
  return best;
}
