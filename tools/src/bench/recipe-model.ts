/**
 * The issue-13 recipe's phase-2 model (MobileNetV2 cut at out_relu, avg head, unfreeze
 * from:block_14_expand, BatchNorm pinned to inference) and its FLOPs (multiply-adds count 2,
 * elementwise layers 0), shared by the step profiler and the recipe benchmark.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng, planFreeze } from '@headstart/core';
import { buildClassifier, buildScratchCnn, loadBase, pinInference, resolveHead, splitModel, useFastActivations } from '@headstart/trainer';

/** The recipe: input size, first unfrozen layer, batch size, epochs per phase, classes and images. */
export const RECIPE = { size: 160, from: 'block_14_expand', batch: 32, epochs1: 5, epochs2: 5, classes: [0, 6], trainPerClass: 200, valPerClass: 20 };

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

/** The recipe's phase-2 top model (boundary activations → class probabilities), as the fit loop trains it. */
export async function recipeTop(size: number = RECIPE.size, from: string = RECIPE.from): Promise<tf.LayersModel> {
  const base = await loadBase('mobilenet_v2', { inputSize: size });
  const model = buildClassifier(base.model, resolveHead(undefined), 2, createRng(1));
  const plan = planFreeze(base.layers, { kind: 'from', layer: from });
  const baseNames = new Set(base.layers.map((l) => l.name));
  for (const l of model.layers) {
    if (l.getClassName() === 'InputLayer') continue;
    l.trainable = baseNames.has(l.name) ? plan.trainable.has(l.name) : true;
    if (l.getClassName().startsWith('BatchNormalization')) pinInference(l);
  }
  const trainable = model.layers.filter((l) => l.trainable && l.weights.length > 0).map((l) => l.name);
  const seeds = new Set([...trainable, ...model.layers.filter((l) => l.getClassName() === 'Dropout').map((l) => l.name)]);
  const top = splitModel(model, seeds).top;
  // As the fit loop does before its first step.
  useFastActivations(top);
  return top;
}

/** `--mode scratch`'s model as `train` builds it (64 px, flatten → dense 128 → dropout 0.25 head), for `classes` classes. */
export function scratchModel(classes = 10, size = 64): tf.LayersModel {
  const rng = createRng(1);
  const head = resolveHead({ kind: 'dense', pooling: 'flatten', standardize: false, dropout: 0.25, blocks: [{ units: 128, activation: 'relu', dropout: 0, batchNorm: false }] });
  return buildClassifier(buildScratchCnn([size, size], rng.fork(2)), head, classes, rng.fork(1));
}

type Node = { inputShapes: unknown; outputShapes: unknown; inboundLayers: { getClassName(): string }[] };

function shapes(v: unknown): number[][] {
  const list = Array.isArray(v) && Array.isArray(v[0]) ? (v as unknown[][]) : [v as unknown[]];
  return list.map((s) => s.map((d) => (d === null ? 1 : (d as number))));
}

/** Forward and training-backward FLOPs of one image through `top`, from its symbolic shapes. */
export function topFlops(top: tf.LayersModel): LayerFlops {
  let forward = 0;
  let backward = 0;
  for (const layer of top.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const node = (layer as unknown as { inboundNodes: Node[] }).inboundNodes.at(-1) as Node;
    const needsGrad = node.inboundLayers.some((l) => l.getClassName() !== 'InputLayer');
    const f = layerFlops(layer, shapes(node.inputShapes), shapes(node.outputShapes)[0] as number[], needsGrad);
    forward += f.forward;
    backward += f.backward;
  }
  return { forward, backward };
}
