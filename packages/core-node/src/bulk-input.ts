import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { glob, isDynamicPattern } from 'tinyglobby';
import { HeadstartError } from '@headstart/core';
import { hasImageExtension, walkFiles } from './discover.ts';
import { PATH_COLS, resolveManifestPath } from './manifest.ts';

/** What a bulk-prediction input expanded to. */
export interface BulkInputs {
  /** Absolute image paths, sorted (folder, glob) or in the CSV's order, without duplicates. */
  files: string[];
  /** How the argument was read. */
  kind: 'folder' | 'glob' | 'csv' | 'file';
  /** Files under a folder that have no image extension (left out). */
  skipped: number;
}

async function fromCsv(csvPath: string): Promise<string[]> {
  let rows: string[][];
  try {
    rows = parse(await readFile(csvPath, 'utf8'), { bom: true, skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch (e) {
    throw new HeadstartError('MANIFEST_INVALID', `${csvPath} is not valid CSV: ${(e as Error).message}`, { cause: e });
  }
  const header = rows[0]?.map((c) => c.toLowerCase()) ?? [];
  const named = header.findIndex((c) => PATH_COLS.includes(c));
  const col = named >= 0 ? named : 0;
  const base = dirname(csvPath);
  return rows.slice(named >= 0 ? 1 : 0).flatMap((r) => (r[col] ? [resolveManifestPath(base, r[col])] : []));
}

/**
 * Expands a bulk-prediction argument: a folder (every image file under it, recursively), a glob
 * pattern (`photos/**\/*.jpg`), a CSV with a path column (paths relative to the CSV), or one file.
 * @throws HeadstartError DATASET_NOT_FOUND when nothing matches.
 */
export async function listBulkInputs(arg: string): Promise<BulkInputs> {
  const unique = (files: string[]): string[] => [...new Set(files)];
  const s = await stat(arg).catch(() => undefined);
  if (s?.isDirectory()) {
    const all = await walkFiles(resolve(arg));
    const files = all.filter(hasImageExtension);
    if (files.length === 0) throw new HeadstartError('DATASET_EMPTY', `${arg} holds no image files (looked for ${'.jpg .png .webp …'} recursively)`);
    return { files, kind: 'folder', skipped: all.length - files.length };
  }
  if (s?.isFile()) {
    if (arg.toLowerCase().endsWith('.csv')) {
      const files = unique(await fromCsv(resolve(arg)));
      if (files.length === 0) throw new HeadstartError('DATASET_EMPTY', `${arg} lists no image paths`);
      return { files, kind: 'csv', skipped: 0 };
    }
    return { files: [resolve(arg)], kind: 'file', skipped: 0 };
  }
  if (isDynamicPattern(arg)) {
    const files = (await glob(arg, { absolute: true, onlyFiles: true, dot: false })).sort();
    if (files.length === 0) throw new HeadstartError('DATASET_NOT_FOUND', `no file matches ${arg}`);
    return { files, kind: 'glob', skipped: 0 };
  }
  throw new HeadstartError('DATASET_NOT_FOUND', `${arg} does not exist; pass a folder, a glob pattern (quoted) or a CSV of paths`);
}
