import { describe, expect, it } from 'vitest';
import { isHeadstartError } from '@headstart/core';
import { parseConfigArgs, resolveConfig, startServer } from '../src/index.ts';
import { makeRegistry, solid } from './helpers.ts';

describe('config', () => {
  it('parses flags over env over defaults, once, against the schema', () => {
    const c = parseConfigArgs(['--models', '/m', '--port', '9000', '--max-batch', '16', '--cors-origins', 'https://a.example, https://b.example'], {
      HEADSTART_PORT: '7000',
      HEADSTART_API_KEY: 'k-123456789',
      HEADSTART_MAX_DELAY_MS: '4',
      HEADSTART_WATCH: 'false',
    });
    expect(c.watch).toBe(false);
    expect(resolveConfig({ modelsDir: '/m' }).watch).toBe(true);
    expect(c).toMatchObject({ modelsDir: '/m', port: 9000, maxBatch: 16, maxDelayMs: 4, apiKey: 'k-123456789', host: '127.0.0.1', corsOrigins: ['https://a.example', 'https://b.example'] });
  });

  it('names the flag and env variable of a bad value', () => {
    expect(() => resolveConfig({ modelsDir: '/m', port: 'eighty' })).toThrow(/--port \/ HEADSTART_PORT/);
    expect(() => resolveConfig({})).toThrow(/models-dir/);
    try {
      parseConfigArgs(['--nope'], {});
    } catch (e) {
      expect(isHeadstartError(e, 'USAGE')).toBe(true);
    }
  });
});

describe('startServer', () => {
  it('listens with timeouts, and on close finishes in-flight requests and refuses new ones', async () => {
    const config = resolveConfig({ modelsDir: makeRegistry(), port: 0, pollMs: 0, maxDelayMs: 300, threads: 1, logLevel: 'silent', headersTimeoutMs: 2000, requestTimeoutMs: 5000 });
    const running = await startServer(config);
    expect(running.server.headersTimeout).toBe(2000);
    expect(running.server.requestTimeout).toBe(5000);
    const live = await fetch(`${running.url}/v2/health/live`);
    expect(live.status).toBe(200);
    const png = await solid([0, 250, 0]);
    const inflight = fetch(`${running.url}/v1/models/colors/versions/1/predict`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(png) });
    await new Promise((r) => setTimeout(r, 100));
    const closing = running.close();
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { predictions: { label: string }[] }).predictions[0]!.label).toBe('green');
    await closing;
    await expect(fetch(`${running.url}/v2/health/live`)).rejects.toThrow();
  });
});

describe('slow clients', () => {
  it('closes a connection whose headers never finish (408) after headersTimeoutMs', async () => {
    const { connect } = await import('node:net');
    const config = resolveConfig({ modelsDir: makeRegistry(), port: 0, pollMs: 0, threads: 1, logLevel: 'silent', headersTimeoutMs: 500, requestTimeoutMs: 1000 });
    const running = await startServer(config);
    const { port } = new URL(running.url);
    const t0 = performance.now();
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('POST /v1/models/colors/predict HTTP/1.1\r\nHost: x\r\n'));
      let data = '';
      socket.on('data', (c) => (data += c.toString()));
      socket.on('close', () => resolve(data));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(performance.now() - t0).toBeLessThan(4000);
    await running.close();
  });
});

describe('main', () => {
  it('logs JSON, serves, and exits 0 after SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', main, '--models', makeRegistry(), '--port', '0', '--poll-ms', '0', '--threads', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start: ${lines.join('\n')}`)), 30_000);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        for (const line of chunk.split('\n').filter(Boolean)) {
          lines.push(line);
          const rec = JSON.parse(line) as { url?: string };
          if (rec.url !== undefined) {
            clearTimeout(timer);
            resolve(rec.url);
          }
        }
      });
    });
    const res = await fetch(`${url}/v1/models`, { headers: { 'x-request-id': 'main-test-1' } });
    expect(res.status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.some((r) => r.reqId === 'main-test-1' && r.status === 200)).toBe(true);
    expect(records.some((r) => r.msg === 'headstart API stopped')).toBe(true);
  });
});
