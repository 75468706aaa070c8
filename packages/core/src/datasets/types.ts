/** Which part of a dataset an item belongs to. */
export type Split = 'train' | 'val' | 'test';

/** The on-disk arrangement a dataset was discovered from. */
export type DatasetLayout = 'class-folders' | 'split-folders' | 'csv' | 'idx';

/** Where an IDX-backed item's pixels live: image `index` of `dataset.idx[source]`. */
export interface IdxRef {
  source: number;
  index: number;
}

/** One labelled image. `path` is absolute for files; `<file>#<index>` for IDX items. */
export interface DatasetItem {
  path: string;
  label: number;
  split?: Split;
  idx?: IdxRef;
}

/** Decoded IDX images (N×H×W uint8, one channel) an IDX dataset's items point into. */
export interface IdxImages {
  path: string;
  count: number;
  height: number;
  width: number;
  data: Uint8Array;
}

/** A file seen while discovering a dataset but not taken as an item, and why. */
export interface IgnoredFile {
  path: string;
  reason: string;
  /** True when the entry could not be read at all (permissions, I/O error). */
  unreadable?: boolean;
}

/** A discovered dataset: label names (index = label id), items, and how it was laid out. */
export interface Dataset {
  root: string;
  layout: DatasetLayout;
  labels: string[];
  items: DatasetItem[];
  /** Class folders that exist but hold no image files (not part of `labels`). */
  emptyClasses: string[];
  /** Files skipped during discovery (unknown extension, stray files at the root). */
  ignored: IgnoredFile[];
  /** Pixel sources of an IDX dataset. */
  idx?: IdxImages[];
}

/** Indices into `Dataset.items` per split. */
export interface SplitIndices {
  train: number[];
  val: number[];
  test: number[];
}
