/** Reading a file that may legitimately be absent: not-found is `undefined`, any other failure is thrown. */
import { readFile, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';

/** True for the errors that mean "nothing at this path" (ENOENT, and ENOTDIR for a file parent). */
export function isNotFound(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * The result of a file-system read, or `undefined` when the path does not exist. Every other
 * error (permissions, a directory in its place, I/O) propagates, so a damaged file is never
 * mistaken for a missing one.
 */
export async function ifPresent<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/**
 * The file's text, or `undefined` when it does not exist (other errors propagate).
 * @example const text = await readTextIfPresent('runs/a/checkpoint/latest.json');
 */
export function readTextIfPresent(path: string): Promise<string | undefined> {
  return ifPresent(readFile(path, 'utf8'));
}

/** The file's bytes, or `undefined` when it does not exist (other errors propagate). */
export function readBytesIfPresent(path: string): Promise<Buffer | undefined> {
  return ifPresent(readFile(path));
}

/** `stat` of the path, or `undefined` when nothing is there (other errors propagate). */
export function statIfPresent(path: string): Promise<Stats | undefined> {
  return ifPresent(stat(path));
}
