/** Downloads a layers model (model.json + weight shards) from an http(s) URL into an on-disk cache. */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { HeadstartError, parseModelJson } from '@headstart/core';

/** Default cache root for downloaded bases. */
export function defaultCacheDir(): string {
  return join(homedir(), '.cache', 'headstart');
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

async function download(url: string, fetchImpl: typeof fetch, timeoutMs: number): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (cause) {
    throw new HeadstartError(
      'BASE_UNREACHABLE',
      `Cannot download ${url}: ${(cause as Error).message}. Check the network (or use a local model.json path); nothing is cached for this URL yet.`,
      { cause, details: { url } },
    );
  }
  if (!res.ok) throw new HeadstartError('BASE_UNREACHABLE', `Downloading ${url} failed with HTTP ${res.status} ${res.statusText}`, { details: { url, status: res.status } });
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * Returns the path of a cached copy of the model at `url`, downloading it first when it is
 * not cached. Downloads are atomic; a `complete` marker is written last.
 */
export async function cacheRemoteModel(url: string, opts: { cacheDir?: string; fetch?: typeof fetch; timeoutMs?: number } = {}): Promise<string> {
  const key = createHash('sha256').update(url).digest('hex').slice(0, 24);
  const dir = join(opts.cacheDir ?? defaultCacheDir(), 'bases', key);
  const modelPath = join(dir, 'model.json');
  if (await exists(join(dir, 'complete'))) return modelPath;
  const fetchImpl = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const jsonBytes = await download(url, fetchImpl, timeoutMs);
  const json = parseModelJson(new TextDecoder().decode(jsonBytes), url);
  await mkdir(dir, { recursive: true });
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      const bytes = await download(new URL(p, url).toString(), fetchImpl, timeoutMs);
      await writeAtomic(join(dir, p), bytes);
    }
  }
  await writeAtomic(modelPath, jsonBytes);
  await writeAtomic(join(dir, 'source.txt'), url);
  await writeAtomic(join(dir, 'complete'), new Date().toISOString());
  return modelPath;
}

/** Reads a file as text, or undefined when missing. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}
