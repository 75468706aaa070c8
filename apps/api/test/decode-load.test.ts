import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { makeRegistry } from './helpers.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

/** Starts the server in its own process (so its memory is measured alone) and resolves its URL. */
function serve(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--models', makeRegistry(), '--port', '0', '--poll-ms', '0', '--watch', 'false', '--threads', '1', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start')), 30_000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        const url = (JSON.parse(line) as { url?: string }).url;
        if (url !== undefined) {
          clearTimeout(timer);
          resolve({ child, url });
        }
      }
    });
  });
}

/** Peak resident set of a process so far (VmHWM, Linux). */
function peakRssBytes(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

describe('near-cap images under load (issue 18.2)', () => {
  it('32 concurrent 25 MP PNGs: peak RSS under 1 GiB, every request answered 200 or 429/503 with Retry-After within its deadline', async () => {
    // 5000×5000 solid colour: 25 MP decoded (75 MB of RGB), ~80 KB on the wire.
    const png = await sharp({ create: { width: 5000, height: 5000, channels: 3, background: { r: 200, g: 10, b: 10 } } }).png({ compressionLevel: 9 }).toBuffer();
    expect(png.length).toBeLessThan(100_000);
    // 20 s rather than the 10 s default: on a 2-core machine shared with other jobs one 25 MP decode alone can take 9 s.
    const deadlineMs = 20_000;
    const { child, url } = await serve(['--deadline-ms', String(deadlineMs)]);
    const send = async (): Promise<{ status: number; retryAfter: string | null; ms: number; label?: string }> => {
      const t0 = performance.now();
      const res = await fetch(`${url}/v1/models/colors/versions/1/predict`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(png) });
      const body = (await res.json()) as { predictions?: { label: string }[] };
      return { status: res.status, retryAfter: res.headers.get('retry-after'), ms: performance.now() - t0, ...(body.predictions ? { label: body.predictions[0]!.label } : {}) };
    };
    const results = await Promise.all(Array.from({ length: 32 }, send));
    const peak = peakRssBytes(child.pid!);
    const summary = `[status, ms]: ${JSON.stringify(results.map((r) => [r.status, Math.round(r.ms)]))}; peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`;
    const ok = results.filter((r) => r.status === 200);
    const shed = results.filter((r) => r.status === 429 || r.status === 503);
    expect(ok.length + shed.length, summary).toBe(32);
    expect(ok.length).toBeGreaterThan(0);
    for (const r of ok) expect(r.label).toBe('red');
    for (const r of shed) expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
    for (const r of results) expect(r.ms, summary).toBeLessThan(deadlineMs);
    expect(peak, summary).toBeLessThan(2 ** 30);
    const after = await fetch(`${url}/v2/health/live`);
    expect(after.status).toBe(200);
  });
});
