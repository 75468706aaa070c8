/**
 * One file over http(s) into a `.partial` file that survives interruptions: a later call
 * resumes it with a Range request (or restarts when the server ignores ranges), and only a
 * complete, length-checked body is renamed to its final name.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { HeadstartError } from '@headstart/core';

/** Progress of one file download. */
export interface DownloadProgress {
  url: string;
  /** Final path of the file. */
  file: string;
  stage: 'begin' | 'progress' | 'end';
  received: number;
  /** Total bytes when the server said (Content-Length / Content-Range). */
  total?: number;
}

/** Options of `downloadFile`. */
export interface DownloadOptions {
  fetch?: typeof fetch;
  /** Abort when no byte arrives for this long (a slow server that keeps sending is fine). */
  idleTimeoutMs?: number;
  onProgress?: (p: DownloadProgress) => void;
  /** Called with the sha256 of the complete body before it is renamed into place; throw to reject it. */
  verify?: (sha256: string, bytes: number) => void;
}

/** Default idle timeout of a download. */
export const DOWNLOAD_IDLE_TIMEOUT_MS = 30_000;

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** sha256 (hex) and size of a file on disk, streamed. */
export async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).byteLength;
  }
  return { sha256: h.digest('hex'), bytes };
}

function unreachable(url: string, what: string, cause?: unknown): HeadstartError {
  return new HeadstartError('BASE_UNREACHABLE', `Cannot download ${url}: ${what}`, { ...(cause === undefined ? {} : { cause }), details: { url } });
}

/** Parses `Content-Range: bytes a-b/total` → [start, total]. */
function contentRange(res: Response): [number, number | undefined] | undefined {
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
  if (!m) return undefined;
  return [Number(m[1]), m[2] === '*' ? undefined : Number(m[2])];
}

/**
 * Downloads `url` to `dest` via `partial` (resumed when it exists). Throws BASE_UNREACHABLE on
 * network errors, HTTP errors, stalls and truncated bodies (the partial file is kept so the
 * next call resumes); whatever `verify` throws leaves neither file behind.
 */
export async function downloadFile(url: string, dest: string, partial: string, opts: DownloadOptions = {}): Promise<{ sha256: string; bytes: number }> {
  const fetchImpl = opts.fetch ?? fetch;
  const idleMs = opts.idleTimeoutMs ?? DOWNLOAD_IDLE_TIMEOUT_MS;
  await mkdir(dirname(partial), { recursive: true });
  let have = await sizeOf(partial);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`no data for ${idleMs} ms`)), idleMs);
  };
  arm();
  try {
    let res: Response;
    try {
      res = await fetchImpl(url, { signal: controller.signal, headers: have > 0 ? { range: `bytes=${have}-` } : {} });
    } catch (cause) {
      throw unreachable(url, (cause as Error).message, cause);
    }
    if (res.status === 416) {
      // The partial file is not a prefix the server recognises: start over.
      await rm(partial, { force: true });
      have = 0;
      await res.body?.cancel();
      res = await fetchImpl(url, { signal: controller.signal });
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new HeadstartError('BASE_UNREACHABLE', `Cannot download ${url}: HTTP ${res.status} ${res.statusText}`.trimEnd(), { details: { url, status: res.status } });
    }
    const range = res.status === 206 ? contentRange(res) : undefined;
    if (!range || range[0] !== have) have = 0; // the server sent the whole body
    const length = res.headers.get('content-length');
    const total = range?.[1] ?? (length !== null ? have + Number(length) : undefined);
    const fh = await open(partial, have > 0 ? 'a' : 'w');
    let received = have;
    opts.onProgress?.({ url, file: dest, stage: 'begin', received, ...(total !== undefined ? { total } : {}) });
    try {
      if (!res.body) throw unreachable(url, 'the response has no body');
      const reader = res.body.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        const chunk = r.value;
        arm();
        await fh.write(chunk);
        received += chunk.byteLength;
        opts.onProgress?.({ url, file: dest, stage: 'progress', received, ...(total !== undefined ? { total } : {}) });
      }
    } catch (cause) {
      if (cause instanceof HeadstartError) throw cause;
      throw unreachable(url, `interrupted after ${received}${total !== undefined ? ` of ${total}` : ''} bytes (${(cause as Error).message}); run again to resume`, cause);
    } finally {
      await fh.close();
    }
    if (total !== undefined && received !== total) throw unreachable(url, `the body ended after ${received} of ${total} bytes; run again to resume`);
    const digest = await hashFile(partial);
    try {
      opts.verify?.(digest.sha256, digest.bytes);
    } catch (e) {
      await rm(partial, { force: true });
      throw e;
    }
    await rename(partial, dest);
    opts.onProgress?.({ url, file: dest, stage: 'end', received, total: received });
    return digest;
  } finally {
    clearTimeout(timer);
  }
}
