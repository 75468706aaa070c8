/** Catalogue bases and the download cache: which are cached, fetching ahead, printing hashes to pin. */
import { join } from 'node:path';
import { BASE_CACHE_RECORD, HeadstartError, parseBaseCacheRecord, type EventSink } from '@headstart/core';
import { readTextIfPresent } from '@headstart/core-node';
import { findBase, listBases, type BaseInfo } from './catalogue.ts';
import { cacheFolder, cacheState, ensureCachedModel, type CachedModel } from './remote.ts';
import { loadBaseRemoteOptions } from './load-base.ts';

/** Where a catalogue base stands on this machine. */
export type BaseCacheState = 'bundled' | 'cached' | 'partial' | 'absent';

function downloadable(id: string): BaseInfo & { url: string } {
  const entry = findBase(id);
  if (!entry) {
    const ids = listBases().filter((b) => b.url).map((b) => b.id).join(', ');
    throw new HeadstartError('BASE_UNKNOWN', `Unknown base "${id}"; downloadable catalogue bases: ${ids}`, { details: { base: id } });
  }
  if (!entry.url) throw new HeadstartError('USAGE', `Base ${id} is bundled with Headstart (${entry.source}); there is nothing to download`, { details: { base: id } });
  return { ...entry, url: entry.url };
}

/** The cache state of every catalogue base (no hashing: `cached` means a complete record and its files are present). */
export async function baseCacheStates(cacheDir: string): Promise<Record<string, BaseCacheState>> {
  const out: Record<string, BaseCacheState> = {};
  for (const b of listBases()) out[b.id] = b.url ? await cacheState(cacheFolder(cacheDir, b.url, b.id)) : 'bundled';
  return out;
}

/**
 * Downloads (or verifies the cached copy of) catalogue base `id`, emitting `download` events.
 * @example await pullBase('mobilenet_v2_100', { cacheDir }, onEvent);
 */
export async function pullBase(id: string, opts: { cacheDir: string; mirror?: string; fetch?: typeof fetch; idleTimeoutMs?: number }, onEvent?: EventSink): Promise<CachedModel> {
  const entry = downloadable(id);
  return ensureCachedModel(entry.url, { ...loadBaseRemoteOptions({ ...opts, ...(onEvent ? { onEvent } : {}) }), folder: entry.id, ...(entry.sha256 ? { pinned: entry.sha256 } : {}) });
}

/** The `sha256` catalogue field that pins base `id` to the files in the cache (after `pullBase`). */
export async function pinSnippet(id: string, cacheDir: string): Promise<string[]> {
  const entry = downloadable(id);
  const dir = cacheFolder(cacheDir, entry.url, entry.id);
  const path = join(dir, BASE_CACHE_RECORD);
  const text = await readTextIfPresent(path);
  if (text === undefined) throw new HeadstartError('MODEL_NOT_FOUND', `Base ${id} is not cached (${path} is missing); run \`headstart models pull ${id}\` first`, { details: { base: id, path } });
  const record = parseBaseCacheRecord(text, path);
  return [
    `// ${id}: ${record.url}, first downloaded ${record.completedAt} (trust: ${record.trust})`,
    'sha256: {',
    ...record.files.map((f) => `  '${f.name}': '${f.sha256}', // ${f.bytes} bytes`),
    '},',
  ];
}
