import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { parse } from 'csv-parse/sync';
import { HeadstartError, sortLabels, type DatasetItem, type Split } from '@headstart/core';
import { SPLIT_DIRS } from './discover.ts';

/** Header names (lower case) recognised as a CSV manifest's path column. */
export const PATH_COLS: readonly string[] = ['path', 'file', 'filename', 'image', 'image_path', 'filepath'];

/** A manifest path made absolute against the CSV's folder; Windows backslashes are separators too. */
export function resolveManifestPath(base: string, path: string): string {
  const native = sep === '/' && !path.includes('/') ? path.replaceAll('\\', '/') : path;
  return isAbsolute(native) ? native : resolve(base, native);
}
const LABEL_COLS = ['label', 'class', 'category', 'target'];

/**
 * Reads a CSV manifest of `path,label[,split]` rows. Paths are relative to the CSV's folder
 * (absolute paths allowed); a header row is optional (recognised by its column names);
 * quoted fields follow RFC 4180.
 * @throws HeadstartError MANIFEST_INVALID naming the file and line.
 */
export async function readCsvManifest(csvPath: string): Promise<{ labels: string[]; items: DatasetItem[] }> {
  const text = await readFile(csvPath, 'utf8');
  let rows: string[][];
  try {
    rows = parse(text, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch (e) {
    throw new HeadstartError('MANIFEST_INVALID', `${csvPath} is not valid CSV: ${(e as Error).message}`, { cause: e });
  }
  let pathCol = 0;
  let labelCol = 1;
  let splitCol = 2;
  let first = 0;
  const header = rows[0]?.map((c) => c.toLowerCase());
  if (header && header.some((c) => PATH_COLS.includes(c)) && header.some((c) => LABEL_COLS.includes(c))) {
    pathCol = header.findIndex((c) => PATH_COLS.includes(c));
    labelCol = header.findIndex((c) => LABEL_COLS.includes(c));
    splitCol = header.indexOf('split');
    first = 1;
  }
  const base = dirname(csvPath);
  const raw: { path: string; name: string; split?: Split }[] = [];
  for (let r = first; r < rows.length; r++) {
    const row = rows[r] ?? [];
    const path = row[pathCol];
    const name = row[labelCol];
    if (!path || !name) {
      throw new HeadstartError('MANIFEST_INVALID', `${csvPath} line ${r + 1}: expected "path,label", got ${JSON.stringify(row.join(','))}`);
    }
    const splitText = splitCol >= 0 ? row[splitCol]?.toLowerCase() : undefined;
    const split = splitText ? SPLIT_DIRS[splitText] : undefined;
    if (splitText && !split) {
      throw new HeadstartError('MANIFEST_INVALID', `${csvPath} line ${r + 1}: split "${splitText}" is not train, val or test`);
    }
    raw.push({ path: resolveManifestPath(base, path), name, ...(split ? { split } : {}) });
  }
  const labels = sortLabels(raw.map((x) => x.name));
  const ids = new Map(labels.map((l, i) => [l, i]));
  const items = raw.map(({ path, name, split }) => ({ path, label: ids.get(name) ?? -1, ...(split ? { split } : {}) }));
  return { labels, items };
}
