/** Downloaded bases against a loopback fixture server: cache, hashes, resume, faults, mirror. */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BASE_CACHE_RECORD, type TrainerEvent } from '@headstart/core';
import { startFixtureServer, type FixtureServer } from '@headstart/core-node/testing/http';
import { createHash } from 'node:crypto';
import { applyMirror, ensureCachedModel, findBase, hashFile, loadBase, selectBackend, type DownloadProgress } from '../src/index.ts';
import { codeOf, makeTinyBase, tempDir } from './fixtures.ts';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');


/** Every file under `dir`, recursively, relative. */
async function listAll(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath, e.name).slice(dir.length + 1));
  return out.sort();
}

let server: FixtureServer;
let files: Record<string, Uint8Array>;
const MODEL = '/m/model.json';
const SHARD = '/m/weights.bin';

beforeAll(async () => {
  await selectBackend('cpu');
  const dir = await tempDir();
  await makeTinyBase(dir);
  files = { [MODEL]: new Uint8Array(await readFile(join(dir, 'model.json'))), [SHARD]: new Uint8Array(await readFile(join(dir, 'weights.bin'))) };
  server = await startFixtureServer(files);
});
afterAll(async () => server.close());
beforeEach(() => {
  server.modes.clear();
  server.requests.length = 0;
  for (const [k, v] of Object.entries(files)) server.files.set(k, v);
});

const pinned = (): Record<string, string> => ({ 'model.json': sha(files[MODEL] as Uint8Array), 'weights.bin': sha(files[SHARD] as Uint8Array) });

describe('downloaded bases (fixture server on 127.0.0.1)', () => {
  it('downloads with progress, verifies pinned hashes, records them; a second use does not download', async () => {
    const cacheDir = await tempDir();
    const progress: DownloadProgress[] = [];
    const first = await ensureCachedModel(`${server.origin}${MODEL}`, { cacheDir, pinned: pinned(), onProgress: (p) => progress.push(p) });
    expect(first.downloaded).toBe(true);
    expect(first.record.trust).toBe('pinned');
    expect(first.record.files.map((f) => f.sha256)).toEqual(Object.values(pinned()));
    expect(progress.filter((p) => p.stage === 'end').map((p) => p.url)).toEqual([`${server.origin}${MODEL}`, `${server.origin}${SHARD}`]);
    expect(progress.find((p) => p.stage === 'end' && p.url.endsWith('.bin'))?.received).toBe(files[SHARD]?.byteLength);
    expect(await listAll(first.dir)).toEqual([BASE_CACHE_RECORD, 'weights.bin', 'model.json'].sort());
    const n = server.requests.length;
    const second = await ensureCachedModel(`${server.origin}${MODEL}`, { cacheDir, pinned: pinned() });
    expect(second.downloaded).toBe(false);
    expect(server.requests.length).toBe(n);
  });

  it('a wrong hash (pinned) is BASE_INTEGRITY and leaves no file behind', async () => {
    const cacheDir = await tempDir();
    const bad = { ...pinned(), 'weights.bin': '0'.repeat(64) };
    const e = await codeOf(ensureCachedModel(`${server.origin}${MODEL}`, { cacheDir, pinned: bad, folder: 'x' }));
    expect(e.code).toBe('BASE_INTEGRITY');
    expect(e.message).toContain(`${server.origin}${SHARD}`);
    expect(e.message).toContain('0'.repeat(64));
    const left = await listAll(join(cacheDir, 'bases', 'x'));
    expect(left).toEqual(['model.json']); // the verified model.json stays; no shard, no partial, no record
  });

  it('trust on first use: a corrupted cache file is detected, reported and replaced', async () => {
    const cacheDir = await tempDir();
    const url = `${server.origin}${MODEL}`;
    const first = await ensureCachedModel(url, { cacheDir });
    expect(first.record.trust).toBe('first-use');
    const shard = join(first.dir, 'weights.bin');
    const bytes = new Uint8Array(await readFile(shard));
    bytes[10] = (bytes[10] as number) ^ 0xff;
    await writeFile(shard, bytes);
    const events: TrainerEvent[] = [];
    const base = await loadBase(url, { cacheDir, preprocess: 'none', onEvent: (ev) => events.push(ev) });
    expect(base.cut).toBe('out');
    expect(events.find((ev) => ev.type === 'warning')).toMatchObject({ code: 'BASE_CACHE_CORRUPT', path: shard });
    expect(events.filter((ev) => ev.type === 'download' && ev.stage === 'end').map((ev) => (ev as { url: string }).url)).toEqual([`${server.origin}${SHARD}`]);
    expect((await hashFile(shard)).sha256).toBe(sha(files[SHARD] as Uint8Array));
  });

  it('trust on first use: a server that later serves different bytes is refused', async () => {
    const cacheDir = await tempDir();
    const url = `${server.origin}${MODEL}`;
    const first = await ensureCachedModel(url, { cacheDir });
    await writeFile(join(first.dir, 'weights.bin'), 'corrupt');
    const changed = new Uint8Array(files[SHARD] as Uint8Array);
    changed[0] = (changed[0] as number) ^ 1;
    server.files.set(SHARD, changed);
    const e = await codeOf(ensureCachedModel(url, { cacheDir }));
    expect(e.code).toBe('BASE_INTEGRITY');
    expect(e.message).toContain('first download');
    await expect(stat(join(first.dir, 'weights.bin'))).rejects.toThrow();
  });

  it('a truncated body keeps only a .partial file; the next run resumes it with a Range request', async () => {
    const cacheDir = await tempDir();
    server.modes.set(SHARD, 'truncate');
    const e = await codeOf(ensureCachedModel(`${server.origin}${MODEL}`, { cacheDir, pinned: pinned(), folder: 't' }));
    expect(e.code).toBe('BASE_UNREACHABLE');
    expect(e.message).toContain(join(cacheDir, 'bases', 't', 'weights.bin'));
    const dir = join(cacheDir, 'bases', 't');
    expect(await listAll(dir)).toEqual(['.partial/weights.bin', 'model.json']);
    const half = (await stat(join(dir, '.partial/weights.bin'))).size;
    expect(half).toBe(Math.floor((files[SHARD] as Uint8Array).byteLength / 2));
    server.modes.delete(SHARD);
    server.requests.length = 0;
    const ok = await ensureCachedModel(`${server.origin}${MODEL}`, { cacheDir, pinned: pinned(), folder: 't' });
    expect(ok.downloaded).toBe(true);
    expect(server.requests).toEqual([{ path: SHARD, range: `bytes=${half}-`, status: 206, sent: (files[SHARD] as Uint8Array).byteLength - half }]);
    expect(await listAll(dir)).toEqual([BASE_CACHE_RECORD, 'weights.bin', 'model.json'].sort());
  });

  it('a server that ignores Range restarts the file from zero', async () => {
    const cacheDir = await tempDir();
    server.modes.set(SHARD, 'truncate');
    await codeOf(ensureCachedModel(`${server.origin}${MODEL}`, { cacheDir, folder: 'r' }));
    server.modes.set(SHARD, 'noRange');
    const ok = await ensureCachedModel(`${server.origin}${MODEL}`, { cacheDir, pinned: pinned(), folder: 'r' });
    expect(ok.record.trust).toBe('pinned');
    expect(server.requests.at(-1)).toMatchObject({ path: SHARD, status: 200 });
  });

  it('a 404 names the URL and the file to place; nothing is written', async () => {
    const cacheDir = await tempDir();
    server.modes.set(MODEL, 'notFound');
    const e = await codeOf(ensureCachedModel(`${server.origin}${MODEL}`, { cacheDir, folder: 'n' }));
    expect(e.code).toBe('BASE_UNREACHABLE');
    expect(e.message).toContain('HTTP 404');
    expect(e.message).toContain(`${server.origin}${MODEL}`);
    expect(e.message).toContain(join(cacheDir, 'bases', 'n', 'model.json'));
    expect(await listAll(cacheDir)).toEqual([]);
  });

  it('a slow server that keeps sending completes; a stalled one times out and keeps a resumable partial', async () => {
    const cacheDir = await tempDir();
    server.modes.set(SHARD, 'slow');
    server.slowDelayMs = 40;
    const ok = await ensureCachedModel(`${server.origin}${MODEL}`, { cacheDir, pinned: pinned(), folder: 's', idleTimeoutMs: 1000 });
    expect(ok.downloaded).toBe(true);
    server.modes.set(SHARD, 'stall');
    const e = await codeOf(ensureCachedModel(`${server.origin}${MODEL}`, { cacheDir, folder: 'st', idleTimeoutMs: 300 }));
    expect(e.code).toBe('BASE_UNREACHABLE');
    expect(e.message).toMatch(/no data for 300 ms/);
    expect(await listAll(join(cacheDir, 'bases', 'st'))).toEqual(['.partial/weights.bin', 'model.json']);
  });

  it('manually placed files (offline) are used and recorded without any request', async () => {
    const cacheDir = await tempDir();
    const dir = join(cacheDir, 'bases', 'p');
    await makeTinyBase(dir);
    const url = 'https://unreachable.invalid/m/model.json';
    const failing: typeof fetch = async () => {
      throw new TypeError('fetch failed');
    };
    const ok = await ensureCachedModel(url, { cacheDir, folder: 'p', fetch: failing });
    expect(ok.downloaded).toBe(false);
    expect(ok.record.files.map((f) => f.name)).toEqual(['model.json', 'weights.bin']);
  });

  it('the mirror replaces scheme and host; catalogue entries download through it', async () => {
    expect(applyMirror('https://storage.googleapis.com/a/b/model.json?x=1', 'http://m.local:8/pre/')).toBe('http://m.local:8/pre/a/b/model.json?x=1');
    const entry = findBase('mobilenet_v1_025');
    expect(entry?.url).toBe('https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.25_224/model.json');
    const path = new URL(entry?.url as string).pathname;
    const dir = await tempDir();
    await makeTinyBase(dir, 3, 'conv_pw_13_relu');
    server.files.set(path, new Uint8Array(await readFile(join(dir, 'model.json'))));
    server.files.set(path.replace('model.json', 'weights.bin'), new Uint8Array(await readFile(join(dir, 'weights.bin'))));
    const cacheDir = await tempDir();
    const base = await loadBase('mobilenet_v1_025', { cacheDir, mirror: server.origin, inputSize: 32 });
    expect(base.cut).toBe('conv_pw_13_relu');
    expect(base.source).toContain(`${server.origin}${path}`);
    expect(await listAll(join(cacheDir, 'bases', 'mobilenet_v1_025'))).toEqual([BASE_CACHE_RECORD, 'weights.bin', 'model.json'].sort());
  });
});
