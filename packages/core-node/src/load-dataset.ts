import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { HeadstartError, FASHION_MNIST_LABELS, parseClassList, type Dataset, type DatasetItem, type DatasetLayout, type IdxImages, type Split } from '@headstart/core';
import { greyToRgb, readImageFile, type DecodeOptions } from './decode.ts';
import { listSubdirs, scanClassTree, SPLIT_DIRS, treesToItems } from './discover.ts';
import { findIdxPairs, readIdxPair } from './idx-files.ts';
import { readCsvManifest } from './manifest.ts';

/** Options of `loadDataset`. */
export interface LoadDatasetOptions {
  /** Force a layout instead of detecting it. */
  layout?: DatasetLayout | 'auto';
  /**
   * Class names for IDX datasets, in label-id order; else `classes.txt`/`labels.txt` beside
   * the files; else Fashion-MNIST's names for a folder whose name contains "fashion" and
   * whose labels are 0–9; else "0", "1", ….
   */
  classNames?: readonly string[];
}

/**
 * Discovers a dataset at `path`: a CSV manifest file, or a folder holding IDX files
 * (`*-images-idx3-ubyte[.gz]` + labels), explicit `train/ val/ test/` class-folder trees,
 * one class-per-folder tree (nested files, any-case extensions, hidden files skipped), or a
 * single CSV manifest. Labels are sorted by code point; empty class folders are listed in
 * `emptyClasses`, not in `labels`. Files are not opened (see `checkDataset`).
 * @throws HeadstartError DATASET_NOT_FOUND | DATASET_LAYOUT | DATASET_EMPTY | MANIFEST_INVALID | IDX_INVALID
 * @example const ds = await loadDataset('data/demo/fashion-mnist'); ds.labels; ds.items.length;
 */
export async function loadDataset(path: string, opts: LoadDatasetOptions = {}): Promise<Dataset> {
  const root = resolve(path);
  const st = await stat(root).catch(() => undefined);
  if (!st) throw new HeadstartError('DATASET_NOT_FOUND', `dataset ${path} does not exist`, { details: { path } });
  const layout = opts.layout && opts.layout !== 'auto' ? opts.layout : await detectLayout(root, st.isDirectory());
  let ds: Dataset;
  switch (layout) {
    case 'csv':
      ds = await loadCsv(root, st.isDirectory());
      break;
    case 'idx':
      ds = await loadIdx(root, opts.classNames);
      break;
    case 'split-folders':
      ds = await loadSplitFolders(root);
      break;
    case 'class-folders': {
      const t = treesToItems([{ tree: await scanClassTree(root, root) }]);
      ds = { root, layout, ...t };
      break;
    }
  }
  if (ds.items.length === 0) {
    throw new HeadstartError(
      'DATASET_EMPTY',
      `dataset ${path} (${layout}) holds no images${ds.emptyClasses.length ? `; class folders ${ds.emptyClasses.join(', ')} are empty` : ''}`,
      { details: { path, layout } },
    );
  }
  return ds;
}

async function detectLayout(root: string, isDir: boolean): Promise<DatasetLayout> {
  if (!isDir) {
    if (extname(root).toLowerCase() === '.csv') return 'csv';
    throw new HeadstartError('DATASET_LAYOUT', `${root} is a file; give a folder of class folders, a CSV manifest (.csv) or a folder of IDX files`);
  }
  if ((await findIdxPairs(root)).length > 0) return 'idx';
  const subdirs = await listSubdirs(root);
  const splits = subdirs.map((d) => SPLIT_DIRS[d.toLowerCase()]);
  if (subdirs.length > 0 && splits.every((s) => s !== undefined) && splits.includes('train')) return 'split-folders';
  if (subdirs.length > 0) return 'class-folders';
  if ((await findCsv(root)) !== undefined) return 'csv';
  throw new HeadstartError(
    'DATASET_LAYOUT',
    `${root} has no class folders, no train/ folder, no CSV manifest and no IDX files; put each class's images in its own sub-folder`,
  );
}

async function findCsv(dir: string): Promise<string | undefined> {
  const csvs = (await readdir(dir)).filter((n) => !n.startsWith('.') && extname(n).toLowerCase() === '.csv');
  if (csvs.length > 1) throw new HeadstartError('DATASET_LAYOUT', `${dir} holds several CSV files (${csvs.join(', ')}); pass the manifest's path`);
  return csvs[0] === undefined ? undefined : join(dir, csvs[0]);
}

async function loadCsv(root: string, isDir: boolean): Promise<Dataset> {
  const csv = isDir ? await findCsv(root) : root;
  if (!csv) throw new HeadstartError('DATASET_LAYOUT', `${root} holds no CSV manifest`);
  const { labels, items } = await readCsvManifest(csv);
  return { root: isDir ? root : resolve(csv, '..'), layout: 'csv', labels, items, emptyClasses: [], ignored: [] };
}

async function loadSplitFolders(root: string): Promise<Dataset> {
  const trees = [];
  for (const dir of (await listSubdirs(root)).sort()) {
    const split = SPLIT_DIRS[dir.toLowerCase()] as Split;
    trees.push({ split, tree: await scanClassTree(join(root, dir), root) });
  }
  return { root, layout: 'split-folders', ...treesToItems(trees) };
}

const IDX_SPLITS: Record<string, Split> = { train: 'train', t10k: 'test', test: 'test', val: 'val', valid: 'val' };

async function loadIdx(root: string, classNames?: readonly string[]): Promise<Dataset> {
  const pairs = await findIdxPairs(root);
  if (pairs.length === 0) throw new HeadstartError('DATASET_LAYOUT', `${root} holds no *-images-idx3-ubyte[.gz] file with a matching labels file`);
  const idx: IdxImages[] = [];
  const items: DatasetItem[] = [];
  let maxLabel = -1;
  for (const pair of pairs) {
    const { images, labels } = await readIdxPair(pair);
    const [count = 0, height = 0, width = 0] = images.dims;
    const source = idx.push({ path: pair.images, count, height, width, data: images.data }) - 1;
    const split = IDX_SPLITS[pair.prefix.toLowerCase()] ?? 'train';
    for (let i = 0; i < count; i++) {
      const label = labels[i] ?? 0;
      maxLabel = Math.max(maxLabel, label);
      items.push({ path: `${pair.images}#${i}`, label, split, idx: { source, index: i } });
    }
  }
  let names = classNames ? [...classNames] : undefined;
  if (!names) {
    const listFile = ['classes.txt', 'labels.txt'].map((n) => join(root, n));
    for (const f of listFile) {
      const text = await readFile(f, 'utf8').catch(() => undefined);
      if (text !== undefined) {
        names = parseClassList(text);
        break;
      }
    }
  }
  // A folder named like Fashion-MNIST with labels 0–9 gets its class names.
  if (!names && /fashion/i.test(basename(root)) && maxLabel === FASHION_MNIST_LABELS.length - 1) names = [...FASHION_MNIST_LABELS];
  names ??= Array.from({ length: maxLabel + 1 }, (_, i) => String(i));
  if (names.length <= maxLabel) {
    throw new HeadstartError('IDX_INVALID', `${basename(root)}: labels go up to ${maxLabel} but only ${names.length} class names were given`);
  }
  return { root, layout: 'idx', labels: names, items, emptyClasses: [], ignored: [], idx };
}

/** Decodes one dataset item to 8-bit RGB (file items through `readImageFile`, IDX items from memory). */
export async function readDatasetItem(
  ds: Dataset,
  item: DatasetItem,
  opts: Omit<DecodeOptions, 'source'> = {},
): Promise<{ data: Uint8Array; width: number; height: number }> {
  if (item.idx) {
    const src = ds.idx?.[item.idx.source];
    if (!src) throw new RangeError(`readDatasetItem: ${item.path} points at IDX source ${item.idx.source}, which the dataset lacks`);
    const size = src.height * src.width;
    return greyToRgb(src.data.subarray(item.idx.index * size, (item.idx.index + 1) * size), src.width, src.height, opts);
  }
  return readImageFile(item.path, opts);
}
