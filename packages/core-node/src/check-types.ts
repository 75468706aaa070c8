import type { DatasetLayout, Split } from '@headstart/core';

/** Codes of the dataset check's findings. */
export type CheckCode =
  | 'DATASET_NOT_FOUND'
  | 'DATASET_LAYOUT'
  | 'DATASET_EMPTY'
  | 'MANIFEST_INVALID'
  | 'IDX_INVALID'
  | 'TOO_FEW_CLASSES'
  | 'FILE_MISSING'
  | 'FILE_UNREADABLE'
  | 'FILE_IGNORED'
  | 'NOT_AN_IMAGE'
  | 'IMAGE_UNDECODABLE'
  | 'IMAGE_TOO_LARGE'
  | 'IMAGE_TINY'
  | 'IMAGE_CMYK'
  | 'IMAGE_16BIT'
  | 'IMAGE_EXIF_ROTATED'
  | 'DUPLICATE'
  | 'DUPLICATE_ACROSS_CLASSES'
  | 'SPLIT_LEAKAGE'
  | 'SPLIT_MISSING_CLASS'
  | 'CLASS_EMPTY'
  | 'CLASS_SINGLE_IMAGE'
  | 'IMBALANCE';

/**
 * `error`: the file (or dataset) cannot be used and is not counted; `warning`: kept but
 * worth fixing; `info`: noted, handled automatically (e.g. EXIF rotation, CMYK).
 */
export type CheckSeverity = 'error' | 'warning' | 'info';

/** One finding; `path` is relative to the dataset root with `/` separators (`.` = the dataset). */
export interface CheckProblem {
  path: string;
  code: CheckCode;
  severity: CheckSeverity;
  message: string;
  /** Other files involved (the first copy of a duplicate). */
  related?: string[];
}

/** Result of `checkDataset`. */
export interface CheckReport {
  /** At least 2 classes with ≥ 2 good images each and no fatal layout error. */
  usable: boolean;
  root: string;
  layout?: DatasetLayout;
  /** Good (decodable, counted) images per class, empty classes included with 0. */
  classes: Record<string, number>;
  /** The classes training uses, in label order: those with at least 2 good images (the others are left out, with a warning). */
  trainClasses: string[];
  /** Good images per split and class, when the dataset names splits. */
  splits?: Partial<Record<Split, Record<string, number>>>;
  totals: { files: number; good: number; bad: number };
  problems: CheckProblem[];
  /** scikit-learn 'balanced' weights over classes with good images. */
  classWeights?: Record<string, number>;
  /** Largest over smallest class size (classes with good images). */
  imbalanceRatio?: number;
  /** One sentence: why the dataset is or is not usable. */
  verdict: string;
}

/** Options of `checkDataset`. */
export interface CheckOptions {
  /** Files decoded at once (default 4). */
  concurrency?: number;
  /** Decoded-pixel limit per image (default 100 MP). */
  maxPixels?: number;
  /** Files larger than this many bytes are reported IMAGE_TOO_LARGE without being read (default 256 MiB). */
  maxFileBytes?: number;
  /** Images whose shorter side is below this are IMAGE_TINY (default 16). */
  minSide?: number;
  /** Largest/smallest class ratio from which IMBALANCE is reported (default 3). */
  imbalanceRatio?: number;
  /** Class names for IDX datasets. */
  classNames?: readonly string[];
  /** Called after each file. */
  onProgress?: (done: number, total: number) => void;
}
