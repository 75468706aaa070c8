import { join } from 'node:path';
import sharp from 'sharp';
import { createRng, FASHION_MNIST_LABELS } from '@headstart/core';
import { readIdxPair, writeFileAtomic } from '@headstart/core-node';

/** Where the Debian package `dataset-fashion-mnist` installs the IDX files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Fashion-MNIST in memory: `count` 28×28 grey images (row-major) and their labels. */
export interface FashionMnist {
  split: 'train' | 'test';
  count: number;
  height: number;
  width: number;
  images: Uint8Array;
  labels: Uint8Array;
}

/** Loads the train (60 000) or test (10 000) split from the gzipped IDX files in `dir`. */
export async function loadFashionMnist(split: 'train' | 'test', dir = FASHION_MNIST_DIR): Promise<FashionMnist> {
  const prefix = split === 'train' ? 'train' : 't10k';
  const { images, labels } = await readIdxPair({
    prefix,
    images: join(dir, `${prefix}-images-idx3-ubyte.gz`),
    labels: join(dir, `${prefix}-labels-idx1-ubyte.gz`),
  });
  const [count = 0, height = 0, width = 0] = images.dims;
  return { split, count, height, width, images: images.data, labels };
}

/** Picks `perClass` indices of each class in `classes`, seeded; ascending within a class. */
export function pickIndices(labels: Uint8Array, classes: readonly number[], perClass: number, seed: number): Map<number, number[]> {
  const picked = new Map<number, number[]>();
  const rng = createRng(seed);
  for (const c of classes) {
    const all: number[] = [];
    labels.forEach((l, i) => {
      if (l === c) all.push(i);
    });
    if (all.length < perClass) throw new RangeError(`class ${c} has only ${all.length} images, asked for ${perClass}`);
    picked.set(c, rng.fork(c).shuffle(all).slice(0, perClass).sort((a, b) => a - b));
  }
  return picked;
}

/** Options of `materialize`. */
export interface MaterializeOptions {
  out: string;
  perClass: number;
  /** Label ids 0–9; default all ten. */
  classes?: readonly number[];
  seed?: number;
  split?: 'train' | 'test';
  /** Source directory of the IDX files (default the Debian package's). */
  sourceDir?: string;
}

/** What `materialize` wrote. */
export interface MaterializeResult {
  out: string;
  /** Folder name → file names written. */
  files: Record<string, string[]>;
  bytes: number;
}

/**
 * Writes a class-per-folder PNG dataset from Fashion-MNIST: `<out>/<Class>/<split>-<index>.png`
 * (28×28 grey), `perClass` images per chosen class, seeded. Same options → same files.
 * @example await materialize({ out: 'data/fm', perClass: 50, classes: [0, 1], seed: 1 });
 */
export async function materialize(opts: MaterializeOptions): Promise<MaterializeResult> {
  const split = opts.split ?? 'train';
  const classes = opts.classes ?? FASHION_MNIST_LABELS.map((_, i) => i);
  for (const c of classes) {
    if (!Number.isInteger(c) || c < 0 || c >= FASHION_MNIST_LABELS.length) throw new RangeError(`class ${c} is not a Fashion-MNIST label id (0–9)`);
  }
  if (!Number.isInteger(opts.perClass) || opts.perClass < 1) throw new RangeError(`perClass must be a positive integer, got ${opts.perClass}`);
  const data = await loadFashionMnist(split, opts.sourceDir);
  const picked = pickIndices(data.labels, classes, opts.perClass, opts.seed ?? 0);
  const size = data.height * data.width;
  const files: Record<string, string[]> = {};
  let bytes = 0;
  for (const [c, indices] of picked) {
    const name = FASHION_MNIST_LABELS[c] ?? String(c);
    files[name] = [];
    for (const i of indices) {
      const png = await sharp(data.images.subarray(i * size, (i + 1) * size), { raw: { width: data.width, height: data.height, channels: 1 } })
        .toColourspace('b-w')
        .png({ compressionLevel: 9 })
        .toBuffer();
      const file = `${split}-${String(i).padStart(5, '0')}.png`;
      await writeFileAtomic(join(opts.out, name, file), png);
      files[name].push(file);
      bytes += png.length;
    }
  }
  return { out: opts.out, files, bytes };
}
