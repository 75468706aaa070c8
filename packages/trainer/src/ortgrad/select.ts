/** Picks the step engine of a phase: onnxruntime when it applies and the model has rules, else TF.js. */
import { HeadstartError, type EventSink } from '@headstart/core';
import { tfc, type LayersModel } from '../tf.ts';
import { OrtStepEngine, type OrtStepOptions } from './engine.ts';

/** Which engine computes training steps: 'auto' = onnxruntime when a convolution trains on the wasm / cpu backends, else TF.js. */
export type StepEngine = 'auto' | 'onnxruntime' | 'tfjs';

const CONV_LAYERS = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose']);

/** True when a step of `model` runs convolutions (a head on cached features trains in microseconds either way). */
export function hasConv(model: LayersModel): boolean {
  return model.layers.some((l) => CONV_LAYERS.has(l.getClassName()));
}

/** True when a convolution of `model` trains (the steps worth moving to onnxruntime). */
function trainsConv(model: LayersModel): boolean {
  return model.layers.some((l) => CONV_LAYERS.has(l.getClassName()) && l.trainable && l.trainableWeights.length > 0);
}

/**
 * The onnxruntime engine for `model`, or undefined for the TF.js step. With 'auto' it is used on
 * the wasm / cpu backends (tfjs-node keeps its native kernels) when a convolution trains;
 * a model it declines trains on TF.js and the reason is emitted as a warning.
 */
export async function selectStepEngine(model: LayersModel, choice: StepEngine, o: OrtStepOptions, onEvent: EventSink): Promise<OrtStepEngine | undefined> {
  if (choice === 'tfjs') return undefined;
  if (choice === 'auto' && (!['wasm', 'cpu'].includes(tfc.getBackend()) || !trainsConv(model))) return undefined;
  try {
    return await OrtStepEngine.create(model, o);
  } catch (e) {
    const reason = (e as Error).message;
    if (choice === 'onnxruntime') throw new HeadstartError('BACKEND_UNAVAILABLE', `stepEngine 'onnxruntime': ${reason}`, { cause: e });
    onEvent({ type: 'warning', code: 'STEP_ENGINE_FALLBACK', message: `Training steps run on TF.js: the onnxruntime step engine declined this model (${reason})` });
    return undefined;
  }
}
