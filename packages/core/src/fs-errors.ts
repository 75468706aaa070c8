/** File-system errors (Node's `code` on an Error) told as one line a user can act on. */

/** errno codes that mean "the file system refused", each with what to do about it. */
export const FS_ERROR_HINTS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied; choose a folder you can write or fix its permissions',
  EPERM: 'operation not permitted; choose a folder you can write or fix its permissions',
  EROFS: 'the file system is read-only; choose a folder on a writable disk',
  ENOSPC: 'no space left on the device; free some space or choose another disk',
  EDQUOT: 'disk quota exceeded; free some space or choose another disk',
  ENOTDIR: 'a part of the path is a file, not a folder; choose another path',
  EISDIR: 'the path is a folder where a file was expected',
  ENOENT: 'no such file or folder',
  EEXIST: 'the path already exists',
  EMFILE: 'too many open files; raise the limit (ulimit -n) or retry',
  EIO: 'input/output error from the disk',
};

/** The errno code of a file-system error (`e.code` of a known errno), else undefined. */
export function fsErrorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code in FS_ERROR_HINTS ? code : undefined;
}

/** `<what>: <hint> (<CODE>)` for a file-system error; `<what>: <message>` otherwise. */
export function fsErrorMessage(e: unknown, what: string): string {
  const code = fsErrorCode(e);
  if (code) return `${what}: ${FS_ERROR_HINTS[code]} (${code})`;
  return `${what}: ${(e as Error)?.message ?? String(e)}`;
}
