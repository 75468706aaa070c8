/** Test fixtures: tiny generated image datasets, tiny layers models and the training options the tiny-base tests share. */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createRng, isHeadstartError } from '@headstart/core';
import type { TrainOptions } from '../src/index.ts';

/** A fresh temporary directory. */
export function tempDir(prefix = 'hs-trainer-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/**
 * Writes a class-per-folder dataset of small PNGs: each class has its own colour and
 * stripe orientation plus noise, so a classifier can learn it quickly.
 */
export async function makeImageDataset(root: string, opts: { classes?: number; perClass?: number; size?: number; seed?: number } = {}): Promise<string> {
  const classes = opts.classes ?? 3;
  const per = opts.perClass ?? 12;
  const size = opts.size ?? 32;
  const rng = createRng(opts.seed ?? 1);
  const palette = [
    [220, 40, 40],
    [40, 200, 60],
    [50, 70, 230],
    [230, 210, 40],
  ];
  for (let c = 0; c < classes; c++) {
    const dir = join(root, `class_${String.fromCharCode(97 + c)}`);
    await mkdir(dir, { recursive: true });
    for (let i = 0; i < per; i++) {
      const px = Buffer.alloc(size * size * 3);
      const col = palette[c % palette.length] as number[];
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const stripe = (c % 2 === 0 ? x : y) % 8 < 4 ? 1 : 0.5;
          for (let k = 0; k < 3; k++) px[(y * size + x) * 3 + k] = Math.max(0, Math.min(255, Math.round((col[k] as number) * stripe + rng.uniform(-40, 40))));
        }
      }
      await writeFile(join(dir, `img_${i}.png`), await sharp(px, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer());
    }
  }
  return root;
}

/** Writes a tiny conv "pretrained" model (conv-BN-relu ×2 ending in layer `outName`, then a GAP+dense classifier) to `dir/model.json`. */
export async function makeTinyBase(dir: string, seed = 3, outName = 'out'): Promise<string> {
  const { tfl } = await import('../src/tf.ts');
  const { saveLayersModel } = await import('../src/run/model-io.ts');
  const init = (k: number): ReturnType<typeof tfl.initializers.glorotUniform> => tfl.initializers.glorotUniform({ seed: seed * 100 + k });
  const input = tfl.input({ shape: [16, 16, 3], name: 'tiny_input' });
  let x = tfl.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'c1', kernelInitializer: init(1) }).apply(input) as ReturnType<typeof tfl.input>;
  x = tfl.layers.batchNormalization({ name: 'bn1' }).apply(x) as typeof x;
  x = tfl.layers.reLU({ name: 'r1' }).apply(x) as typeof x;
  x = tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', name: 'c2', kernelInitializer: init(2) }).apply(x) as typeof x;
  x = tfl.layers.batchNormalization({ name: 'bn2' }).apply(x) as typeof x;
  x = tfl.layers.reLU({ name: outName }).apply(x) as typeof x;
  x = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as typeof x;
  x = tfl.layers.dense({ units: 4, activation: 'softmax', name: 'cls', kernelInitializer: init(3) }).apply(x) as typeof x;
  const model = tfl.model({ inputs: input, outputs: x, name: 'tiny' });
  // Non-trivial BN statistics so that "unchanged" is a real check.
  for (const name of ['bn1', 'bn2']) {
    const layer = model.getLayer(name);
    const ws = layer.getWeights();
    layer.setWeights(ws.map((w, i) => (i >= 2 ? w.add(i === 2 ? 0.1 : 0.5) : w)));
  }
  await saveLayersModel(model, dir);
  return `${dir}/model.json`;
}

/** The code and message of the HeadstartError `p` rejects with (fails when it resolves or throws anything else). */
export async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isHeadstartError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a HeadstartError');
}

type Schedule = NonNullable<TrainOptions['schedule']>;

/** What the tiny-base training tests vary; everything else is {@link tinyTrainOptions}'s. */
export interface TinyTrainSetup {
  data: string;
  base: string;
  /** Epochs of phase 1 and phase 2. */
  epochs: [number, number];
  seed: number;
  /** More phase-1 settings (e.g. early stopping off). */
  phase1?: Schedule['phase1'];
  /** More schedule settings (e.g. augmentation). */
  schedule?: Omit<Schedule, 'phase1' | 'phase2' | 'seed'>;
}

/**
 * `train` options on the tiny base: cpu backend, `tf` preprocessing, batch 8, phase 1 at lr 1e-2,
 * phase 2 at lr 1e-3 on the top 2 layers; `extra` is spread last (a whole `schedule` there replaces this one).
 */
export function tinyTrainOptions(s: TinyTrainSetup, out: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  return {
    data: s.data,
    out,
    base: s.base,
    preprocess: 'tf',
    backend: 'cpu',
    schedule: {
      phase1: { epochs: s.epochs[0], batchSize: 8, learningRate: 1e-2, ...s.phase1 },
      phase2: { epochs: s.epochs[1], batchSize: 8, learningRate: 1e-3, unfreeze: { kind: 'top', n: 2 } },
      ...s.schedule,
      seed: s.seed,
    },
    ...extra,
  };
}
