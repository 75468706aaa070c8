/**
 * Layers models (model.json + weight shards) from http(s) URLs into a verified on-disk cache.
 * Each file is downloaded through `download.ts` (resumable, renamed into place only when
 * whole) and checked against a sha256: the catalogue's pinned hash when it has one, otherwise
 * the hash recorded at the first complete download (trust on first use), on every use.
 * A file whose hash no longer matches is deleted and fetched again.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BASE_CACHE_RECORD, encodeBaseCacheRecord, HeadstartError, parseModelJson, isHeadstartError, parseBaseCacheRecord, type BaseCacheRecord } from '@headstart/core';
import { defaultCacheDir, readTextIfPresent, writeFileAtomic } from '@headstart/core-node';
import { downloadFile, hashFile, type DownloadProgress } from './download.ts';

/** `url` with its scheme and host (and port) replaced by `mirror` (which may carry a path prefix). */
export function applyMirror(url: string, mirror?: string): string {
  if (!mirror) return url;
  const u = new URL(url);
  return `${mirror.replace(/\/+$/, '')}${u.pathname}${u.search}`;
}

/** Options of `ensureCachedModel`. */
export interface RemoteModelOptions {
  /** Cache root (the model goes to `<cacheDir>/bases/<folder>`). Default: `defaultCacheDir()`. */
  cacheDir?: string;
  /** Folder name under `<cacheDir>/bases` (catalogue id); default `url-<hash of the URL>`. */
  folder?: string;
  /** Pinned sha256 per file name (`model.json`, each shard). */
  pinned?: Readonly<Record<string, string>>;
  /** Replaces the URL's host (see `applyMirror`). */
  mirror?: string;
  fetch?: typeof fetch;
  idleTimeoutMs?: number;
  onProgress?: (p: DownloadProgress) => void;
  /** Told when a cached file failed its hash check and is being replaced. */
  onCorrupt?: (path: string, expected: string, actual: string) => void;
}

/** A model present and verified in the cache. */
export interface CachedModel {
  dir: string;
  modelJsonPath: string;
  /** The URL actually fetched from (after the mirror). */
  url: string;
  /** True when any file was downloaded by this call. */
  downloaded: boolean;
  record: BaseCacheRecord;
}

/** The cache folder of a model URL. */
export function cacheFolder(cacheDir: string, url: string, folder?: string): string {
  return join(cacheDir, 'bases', folder ?? `url-${createHash('sha256').update(url).digest('hex').slice(0, 24)}`);
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function readRecord(path: string): Promise<BaseCacheRecord | undefined> {
  const text = await readTextIfPresent(path);
  if (text === undefined) return undefined;
  try {
    return parseBaseCacheRecord(text, path);
  } catch {
    // A damaged record is no record: every file is re-verified (pinned) or re-hashed (first use).
    await rm(path, { force: true });
    return undefined;
  }
}

/** 'cached' (complete record, files present), 'partial' (something there) or 'absent'; no hashing. */
export async function cacheState(dir: string): Promise<'cached' | 'partial' | 'absent'> {
  const record = await readRecord(join(dir, BASE_CACHE_RECORD));
  if (record) {
    const present = await Promise.all(record.files.map((f) => exists(join(dir, f.name))));
    if (present.every(Boolean)) return 'cached';
  }
  try {
    return (await readdir(dir)).length > 0 ? 'partial' : 'absent';
  } catch {
    return 'absent';
  }
}

function offlineHint(e: HeadstartError, fileUrl: string, path: string, isModelJson: boolean): HeadstartError {
  const also = isModelJson ? ' together with the weight files it lists' : '';
  return new HeadstartError(
    'BASE_UNREACHABLE',
    `${e.message}. Offline? Download ${fileUrl} yourself and place it at ${path}${also}, or point the model mirror (HEADSTART_MODEL_MIRROR) at a host serving the same paths; then run again.`,
    { cause: e, details: { ...e.details, url: fileUrl, path } },
  );
}

/**
 * The cached, verified copy of the layers model at `url`, downloading what is missing or
 * corrupt. Throws BASE_UNREACHABLE (with the file to place by hand) or BASE_INTEGRITY.
 * @example const m = await ensureCachedModel('https://host/m/model.json', { cacheDir });
 */
export async function ensureCachedModel(url: string, opts: RemoteModelOptions = {}): Promise<CachedModel> {
  const src = applyMirror(url, opts.mirror);
  const dir = cacheFolder(opts.cacheDir ?? defaultCacheDir(), url, opts.folder);
  const recordPath = join(dir, BASE_CACHE_RECORD);
  const prior = await readRecord(recordPath);
  const recorded = new Map((prior?.url === url ? prior.files : []).map((f) => [f.name, f.sha256]));
  let downloaded = false;

  const obtain = async (name: string): Promise<{ name: string; sha256: string; bytes: number }> => {
    const path = join(dir, name);
    const pinned = opts.pinned?.[name];
    const expected = pinned ?? recorded.get(name);
    if (await exists(path)) {
      const d = await hashFile(path);
      if (expected === undefined || d.sha256 === expected) return { name, ...d };
      opts.onCorrupt?.(path, expected, d.sha256);
      await rm(path, { force: true });
    }
    const fileUrl = new URL(name, src).toString();
    try {
      const d = await downloadFile(fileUrl, path, join(dir, '.partial', name), {
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
        ...(opts.idleTimeoutMs !== undefined ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        verify: (sha256) => {
          if (expected === undefined || sha256 === expected) return;
          const how = pinned ? 'pinned by the catalogue' : `recorded at its first download (${prior?.completedAt ?? 'earlier'}); delete ${dir} to trust the new file`;
          throw new HeadstartError('BASE_INTEGRITY', `${fileUrl} has sha256 ${sha256}, expected ${expected} (${how}). Nothing was kept.`, {
            details: { url: fileUrl, expected, actual: sha256 },
          });
        },
      });
      downloaded = true;
      return { name, ...d };
    } catch (e) {
      if (isHeadstartError(e, 'BASE_UNREACHABLE')) throw offlineHint(e, fileUrl, path, name === 'model.json');
      throw e;
    }
  };

  const files = [await obtain('model.json')];
  const json = parseModelJson(await readFile(join(dir, 'model.json'), 'utf8'), join(dir, 'model.json'));
  for (const group of json.weightsManifest) for (const p of group.paths) files.push(await obtain(p));
  const trust = files.every((f) => opts.pinned?.[f.name] !== undefined) ? 'pinned' : 'first-use';
  const same = prior?.url === url && prior.files.length === files.length && files.every((f, i) => prior.files[i]?.sha256 === f.sha256 && prior.files[i]?.name === f.name);
  const record: BaseCacheRecord = same && prior ? prior : { format: 'headstart-base-cache@1', url, completedAt: new Date().toISOString(), trust, files };
  if (!same) await writeFileAtomic(recordPath, encodeBaseCacheRecord(record));
  await rm(join(dir, '.partial'), { recursive: true, force: true });
  return { dir, modelJsonPath: join(dir, 'model.json'), url: src, downloaded, record };
}

