/** `adviseForDataset`: dataset size + a linear-probe similarity signal → core's adviseStrategy. */
import { adviseStrategy, createRng, type EventSink, type StrategyAdvice } from '@headstart/core';
import { loadDataset } from '@headstart/core/node';
import { selectBackend, type BackendName } from './backend/select-backend.ts';
import { findBase } from './bases/catalogue.ts';
import { loadBase } from './bases/load-base.ts';
import { prepareData } from './data/prepare.ts';
import { extract, ImageSource } from './data/sources.ts';
import { tfc, tfl } from './tf.ts';

/** Options of `adviseForDataset`. */
export interface AdviseOptions {
  base?: string;
  inputSize?: number;
  /** Images used for the linear probe (default 300). */
  sampleSize?: number;
  valSplit?: number;
  seed?: number;
  backend?: BackendName | 'auto';
  onEvent?: EventSink;
}

/** The advisor's proposal plus the evidence it was based on. */
export interface Advice extends StrategyAdvice {
  base: string;
  trainCount: number;
  classes: number;
  /** Held-out accuracy of a logistic regression on frozen base features of a small sample. */
  probeAccuracy: number;
  /** probeAccuracy normalised against chance: (acc − 1/C) / (1 − 1/C), clipped to [0, 1]. */
  similarity: number;
  probeImages: number;
  /** Concrete layer for `cut: 'earlier'` (catalogue bases), to pass as `--cut`. */
  cutLayer?: string;
}

/** Trains softmax regression on features (full batch, Adam) and returns held-out accuracy. */
function linearProbe(xTr: Float32Array, yTr: Int32Array, xTe: Float32Array, yTe: Int32Array, dim: number, classes: number, seed: number): number {
  return tfc.tidy(() => {
    const model = tfl.sequential({
      layers: [tfl.layers.dense({ inputShape: [dim], units: classes, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed }), kernelRegularizer: tfl.regularizers.l2({ l2: 1e-4 }) })],
    });
    const x = tfc.tensor2d(xTr, [yTr.length, dim]);
    const y = tfc.oneHot(tfc.tensor1d(yTr, 'int32'), classes);
    const opt = tfc.train.adam(1e-2);
    for (let step = 0; step < 150; step++) {
      opt.minimize(() => tfc.tidy(() => tfc.mean(tfc.neg(tfc.sum(tfc.mul(y, tfc.log(tfc.clipByValue(model.apply(x) as tfc.Tensor, 1e-7, 1))), 1))) as tfc.Scalar));
    }
    const pred = (model.predict(tfc.tensor2d(xTe, [yTe.length, dim])) as tfc.Tensor).argMax(1).dataSync();
    opt.dispose();
    let ok = 0;
    pred.forEach((p, i) => (ok += p === yTe[i] ? 1 : 0));
    return ok / Math.max(1, yTe.length);
  });
}

/**
 * Recommends a schedule for a dataset: counts its images and measures how well frozen base
 * features separate its classes (a quick linear probe on a small stratified sample), then
 * applies core's four-case `adviseStrategy`. Augmented cases get cached augmented passes.
 * @example const advice = await adviseForDataset('data/demo'); advice.case; advice.schedule;
 */
export async function adviseForDataset(data: string, opts: AdviseOptions = {}): Promise<Advice> {
  await selectBackend(opts.backend ?? 'auto');
  const baseId = opts.base ?? 'mobilenet_v2';
  const seed = opts.seed ?? 42;
  const ds = await loadDataset(data);
  const valSplit = opts.valSplit ?? 0.2;
  const hasSplits = ds.items.some((i) => i.split === 'train');
  const trainCount = hasSplits ? ds.items.filter((i) => i.split === 'train').length : Math.round(ds.items.length * (1 - valSplit));
  const base = await loadBase(baseId, { inputSize: opts.inputSize ?? (baseId === 'mobilenet_v2' ? 96 : baseId === 'inception_v3' ? 139 : undefined) as number });
  const spec = { size: base.inputSize, resize: 'cover' as const, mode: base.preprocess, channelOrder: 'rgb' as const, grayscale: false };
  const sample = await prepareData(data, { size: base.inputSize, resize: 'cover', valSplit: 0.3, testSplit: 0, seed, maxImages: opts.sampleSize ?? 300, skipCheck: true });
  const pooled = tfl.model({ inputs: base.model.inputs, outputs: tfl.layers.globalAveragePooling2d({}).apply(base.model.outputs[0] as tfl.SymbolicTensor) as tfl.SymbolicTensor });
  const feats = async (split: typeof sample.train): Promise<Float32Array> =>
    (await extract(new ImageSource(split.pixels, split.labels, spec), (x) => [pooled.predict(x) as tfc.Tensor])).data[0] ?? new Float32Array();
  const dim = (pooled.outputs[0]?.shape[1] as number) ?? 1;
  const classes = ds.labels.length;
  const acc = sample.val.labels.length > 0 ? linearProbe(await feats(sample.train), sample.train.labels, await feats(sample.val), sample.val.labels, dim, classes, createRng(seed).int(1e9)) : 1;
  const similarity = Math.min(1, Math.max(0, (acc - 1 / classes) / (1 - 1 / classes)));
  const advice = adviseStrategy({ trainCount, classes, similarity, baseLayers: base.layers.filter((l) => l.weighted).length });
  base.model.dispose();
  const schedule = advice.schedule.augment && advice.schedule.augmentedPasses === undefined ? { ...advice.schedule, augmentedPasses: 4 } : advice.schedule;
  const earlier = findBase(baseId)?.earlierCut;
  return {
    ...advice,
    schedule,
    reasons: [...advice.reasons, `linear probe on ${sample.train.labels.length + sample.val.labels.length} images: ${(acc * 100).toFixed(1)}% held-out accuracy (chance ${(100 / classes).toFixed(1)}%)`],
    base: baseId,
    trainCount,
    classes,
    probeAccuracy: acc,
    similarity,
    probeImages: sample.train.labels.length + sample.val.labels.length,
    ...(advice.cut === 'earlier' && earlier ? { cutLayer: earlier } : {}),
  };
}
