import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { isHeadstartError, type Dataset, type DatasetItem } from '@headstart/core';
import { duplicateProblems, summarise, type InspectedItem } from './check-rules.ts';
import type { CheckOptions, CheckProblem, CheckReport } from './check-types.ts';
import { decodeImage, DEFAULT_MAX_PIXELS } from './decode.ts';
import { loadDataset } from './load-dataset.ts';
import { mapLimit } from './map-limit.ts';
import { sniffImageFormat } from './sniff.ts';

/** Files larger than this (256 MiB) are not read by the check. */
export const DEFAULT_MAX_FILE_BYTES = 256 * 2 ** 20;

const LAYOUT_CODES = ['DATASET_LAYOUT', 'DATASET_EMPTY', 'MANIFEST_INVALID', 'IDX_INVALID'] as const;

/**
 * Checks a dataset before training: every file is read, hashed and decoded (bounded
 * concurrency) and nothing aborts on a bad file. Reports undecodable/truncated files,
 * non-images (by magic bytes), oversized images, tiny images, duplicates within a class,
 * across classes and across splits, empty and single-image classes, imbalance (with
 * scikit-learn 'balanced' class weights); CMYK, 16-bit and EXIF-rotated images are noted
 * as info and counted as good. Layout errors become a report with `usable: false`.
 * @throws HeadstartError DATASET_NOT_FOUND when `path` does not exist.
 * @example const report = await checkDataset('photos/'); if (!report.usable) ...
 */
export async function checkDataset(path: string, opts: CheckOptions = {}): Promise<CheckReport> {
  const root = resolve(path);
  let ds: Dataset;
  try {
    ds = await loadDataset(path, opts.classNames ? { classNames: opts.classNames } : {});
  } catch (e) {
    const code = LAYOUT_CODES.find((c) => isHeadstartError(e, c));
    if (!code) throw e;
    return {
      usable: false,
      root,
      classes: {},
      trainClasses: [],
      totals: { files: 0, good: 0, bad: 0 },
      problems: [{ path: '.', code, severity: 'error', message: (e as Error).message }],
      verdict: `not usable: ${(e as Error).message}`,
    };
  }
  const rel = (p: string): string => {
    const r = relative(ds.root, p);
    return (r.startsWith('..') || isAbsolute(r) ? p : r).split(sep).join('/');
  };
  const problems: CheckProblem[] = ds.ignored.map((f) => ({
    path: f.path.split(sep).join('/'),
    code: f.unreadable ? 'FILE_UNREADABLE' : 'FILE_IGNORED',
    severity: f.unreadable ? 'warning' : 'info',
    message: f.unreadable ? `${f.reason}; its images are not counted — fix the permissions` : `ignored: ${f.reason}`,
  }));
  let done = 0;
  const inspected = await mapLimit(ds.items, opts.concurrency ?? 4, async (item) => {
    const r = ds.idx ? inspectIdx(ds, item) : await inspectFile(item, rel(item.path), opts);
    opts.onProgress?.(++done, ds.items.length);
    problems.push(...r.problems);
    return r.item;
  });
  problems.push(...duplicateProblems(inspected, ds.labels));
  const summary = summarise(inspected, ds.labels, ds.emptyClasses.map((name) => ({ name, rel: name })), {
    imbalanceRatio: opts.imbalanceRatio ?? 3,
  });
  const good = inspected.filter((i) => i.good).length;
  const order = { error: 0, warning: 1, info: 2 } as const;
  const all = [...problems, ...summary.problems].sort(
    (a, b) => order[a.severity] - order[b.severity] || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  );
  const { usable, verdict, classes, ...rest } = summary;
  return {
    usable,
    verdict,
    root: ds.root,
    layout: ds.layout,
    classes,
    totals: { files: ds.items.length, good, bad: ds.items.length - good },
    ...rest,
    problems: all,
  };
}

function inspectIdx(ds: Dataset, item: DatasetItem): { item: InspectedItem; problems: CheckProblem[] } {
  const src = ds.idx?.[item.idx?.source ?? -1];
  const index = item.idx?.index ?? 0;
  const size = (src?.height ?? 0) * (src?.width ?? 0);
  const hash = src ? createHash('sha1').update(src.data.subarray(index * size, (index + 1) * size)).digest('hex') : undefined;
  const rel = `${relative(ds.root, src?.path ?? '')}#${index}`;
  return { item: { rel, label: item.label, ...(item.split ? { split: item.split } : {}), good: src !== undefined, ...(hash ? { hash } : {}) }, problems: [] };
}

async function inspectFile(item: DatasetItem, rel: string, opts: CheckOptions): Promise<{ item: InspectedItem; problems: CheckProblem[] }> {
  const base: InspectedItem = { rel, label: item.label, ...(item.split ? { split: item.split } : {}), good: false };
  const problem = (code: CheckProblem['code'], severity: CheckProblem['severity'], message: string): CheckProblem => ({ path: rel, code, severity, message });
  let bytes: Buffer;
  try {
    const { size } = await stat(item.path);
    const maxBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    if (size > maxBytes) {
      return { item: base, problems: [problem('IMAGE_TOO_LARGE', 'error', `file is ${(size / 2 ** 20).toFixed(0)} MiB, over the ${(maxBytes / 2 ** 20).toFixed(0)} MiB limit for one image; not read`)] };
    }
    bytes = await readFile(item.path);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      item: base,
      problems: [missing ? problem('FILE_MISSING', 'error', 'file listed in the dataset does not exist; fix the path or remove the row') : problem('FILE_UNREADABLE', 'error', `cannot read: ${(e as Error).message}`)],
    };
  }
  const hash = createHash('sha256').update(bytes).digest('hex');
  const withHash = { ...base, hash };
  if (!sniffImageFormat(bytes)) {
    const head = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const what = bytes.length === 0 ? 'the file is empty' : `it starts with bytes ${head}, which no image format uses`;
    return { item: withHash, problems: [problem('NOT_AN_IMAGE', 'error', `not an image: ${what}; remove it or replace it with the real image`)] };
  }
  try {
    const { info } = await decodeImage(bytes, { size: [32, 32], maxPixels: opts.maxPixels ?? DEFAULT_MAX_PIXELS, source: rel });
    const problems: CheckProblem[] = [];
    const minSide = opts.minSide ?? 16;
    if (Math.min(info.width, info.height) < minSide) {
      problems.push(problem('IMAGE_TINY', 'warning', `only ${info.width}×${info.height} pixels (under ${minSide} on a side); it will be upscaled heavily — use a larger original if you have one`));
    }
    if (info.space === 'cmyk') problems.push(problem('IMAGE_CMYK', 'info', 'CMYK JPEG; converted to sRGB when decoded'));
    if (info.depth === 'ushort') problems.push(problem('IMAGE_16BIT', 'info', '16 bits per sample; reduced to 8 bits when decoded'));
    if ((info.orientation ?? 1) > 1) {
      problems.push(problem('IMAGE_EXIF_ROTATED', 'info', `EXIF orientation ${info.orientation}; rotated upright when decoded (displayed ${info.width}×${info.height})`));
    }
    return { item: { ...withHash, good: true }, problems };
  } catch (e) {
    if (isHeadstartError(e, 'IMAGE_TOO_LARGE')) return { item: withHash, problems: [problem('IMAGE_TOO_LARGE', 'error', e.message)] };
    if (isHeadstartError(e, 'IMAGE_UNDECODABLE')) {
      const why = e.cause instanceof Error ? e.cause.message : e.message;
      return { item: withHash, problems: [problem('IMAGE_UNDECODABLE', 'error', `cannot be decoded (${why}): truncated or corrupt; re-save it as JPEG or PNG, or remove it`)] };
    }
    throw e;
  }
}
