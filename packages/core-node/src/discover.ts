import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { sortLabels, HeadstartError, type DatasetItem, type IgnoredFile, type Split } from '@headstart/core';

/** File extensions (lower case) taken as images during discovery; matched case-insensitively. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif', '.bmp',
]);

/** Folder names (lower case) recognised as explicit splits. */
export const SPLIT_DIRS: Readonly<Record<string, Split>> = {
  train: 'train',
  training: 'train',
  val: 'val',
  valid: 'val',
  validation: 'val',
  test: 'test',
  testing: 'test',
};

/** Hidden entries (dot files, macOS resource forks) are never part of a dataset. */
export function isHidden(name: string): boolean {
  return name.startsWith('.') || name === '__MACOSX' || name === 'Thumbs.db' || name === 'desktop.ini';
}

/** True when the file name has an image extension, in any case. */
export function hasImageExtension(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(name).toLowerCase());
}

async function isDir(entry: Dirent, path: string): Promise<boolean> {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** Visible sub-directory names of `dir`. */
export async function listSubdirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) if (!isHidden(e.name) && (await isDir(e, join(dir, e.name)))) out.push(e.name);
  return out;
}

/** Identity of a directory (device + inode), the same through every link that reaches it. */
async function dirId(dir: string): Promise<string | undefined> {
  const s = await stat(dir, { bigint: true }).catch(() => undefined);
  return s === undefined ? undefined : `${s.dev}:${s.ino}`;
}

/**
 * Every visible file under `dir`, recursively and sorted. Directory links are followed; a link
 * back to a folder it is inside (a loop) is a DATASET_LAYOUT error naming the link, never an
 * endless walk. `ancestors` are the identities of the folders above `dir` (the dataset root, …).
 * @throws HeadstartError DATASET_LAYOUT on a symlink loop.
 */
export async function walkFiles(dir: string, onUnreadable?: (dir: string, error: Error) => void, ancestors: ReadonlyMap<string, string> = new Map()): Promise<string[]> {
  const id = await dirId(dir);
  if (id !== undefined && ancestors.has(id)) {
    const target = ancestors.get(id) as string;
    throw new HeadstartError('DATASET_LAYOUT', `symlink loop: ${dir} leads back to ${target}, which contains it; remove the link or point it outside the dataset`, {
      details: { path: dir, target },
    });
  }
  const inside = id === undefined ? ancestors : new Map([...ancestors, [id, dir]]);
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (!onUnreadable) throw e;
    onUnreadable(dir, e as Error);
    return [];
  }
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (isHidden(e.name)) continue;
    const path = join(dir, e.name);
    if (await isDir(e, path)) out.push(...(await walkFiles(path, onUnreadable, inside)));
    else out.push(path);
  }
  return out;
}

/** Result of scanning one class-per-folder tree. */
export interface ClassTree {
  /** Class name → absolute image paths. */
  classes: Map<string, string[]>;
  ignored: IgnoredFile[];
}

/** Scans `dir/<class>/**` for image files; root-level files and non-images are recorded as ignored. */
export async function scanClassTree(dir: string, root: string): Promise<ClassTree> {
  const classes = new Map<string, string[]>();
  const ignored: IgnoredFile[] = [];
  const subdirs = new Set(await listSubdirs(dir));
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (!isHidden(e.name) && !subdirs.has(e.name)) {
      ignored.push({ path: relative(root, join(dir, e.name)), reason: 'file outside any class folder' });
    }
  }
  // A class folder that links back to the dataset (or split) folder is a loop too.
  const above = new Map<string, string>();
  for (const d of new Set([root, dir])) {
    const id = await dirId(d);
    if (id !== undefined) above.set(id, d);
  }
  for (const name of sortLabels(subdirs)) {
    const images: string[] = [];
    const unreadable = (d: string, e: Error): void => {
      ignored.push({ path: relative(root, d), reason: `folder cannot be read (${e.message})`, unreadable: true });
    };
    for (const file of await walkFiles(join(dir, name), unreadable, above)) {
      if (hasImageExtension(file)) images.push(file);
      else ignored.push({ path: relative(root, file), reason: `extension "${extname(file)}" is not an image type` });
    }
    classes.set(name, images);
  }
  return { classes, ignored };
}

/** Turns scanned trees (one per split, or one without) into labels, items and empty classes. */
export function treesToItems(trees: { split?: Split; tree: ClassTree }[]): {
  labels: string[];
  items: DatasetItem[];
  emptyClasses: string[];
  ignored: IgnoredFile[];
} {
  const counts = new Map<string, number>();
  for (const { tree } of trees) {
    for (const [name, files] of tree.classes) counts.set(name, (counts.get(name) ?? 0) + files.length);
  }
  const labels = sortLabels([...counts].filter(([, n]) => n > 0).map(([name]) => name));
  const emptyClasses = sortLabels([...counts].filter(([, n]) => n === 0).map(([name]) => name));
  const ids = new Map(labels.map((l, i) => [l, i]));
  const items: DatasetItem[] = [];
  for (const { split, tree } of trees) {
    for (const [name, files] of tree.classes) {
      const label = ids.get(name);
      if (label === undefined) continue;
      for (const path of files) items.push(split ? { path, label, split } : { path, label });
    }
  }
  return { labels, items, emptyClasses, ignored: trees.flatMap(({ tree }) => tree.ignored) };
}
