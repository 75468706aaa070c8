import { createServer, type Server } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { resolveConfig, startServer } from '../src/index.ts';
import { registryApps } from './helpers.ts';

const { appWith, root } = registryApps({ watch: false });

describe('Host allow-list (DNS rebinding)', () => {
  it('on a loopback bind serves only localhost names, plus the configured ones', async () => {
    const app = await appWith({ allowedHosts: ['models.internal'] });
    const refused = await request(app).get('/v1/models').set('Host', 'attacker.example:8080').expect(403);
    expect(refused.body.error.code).toBe('FORBIDDEN');
    await request(app).get('/v2/health/live').set('Host', 'attacker.example').expect(403);
    for (const host of ['localhost:8080', '127.0.0.1:9', '[::1]:8080', 'LOCALHOST', 'models.internal:8080']) {
      await request(app).get('/v1/models').set('Host', host).expect(200);
    }
  });

  it('on a public bind accepts any Host unless names are given', async () => {
    const open = await appWith({ host: '0.0.0.0' });
    await request(open).get('/v1/models').set('Host', 'anything.example').expect(200);
    const pinned = await appWith({ host: '0.0.0.0', allowedHosts: 'api.example.com' });
    await request(pinned).get('/v1/models').set('Host', 'api.example.com').expect(200);
    await request(pinned).get('/v1/models').set('Host', 'other.example').expect(403);
  });
});

describe('security headers', () => {
  it('sends nosniff everywhere and a CSP that allows the page its own scripts and wasm only', async () => {
    const app = await appWith();
    const res = await request(app).get('/v1/models').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/'unsafe-eval'/);
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});

describe('wrong API keys', () => {
  it('locks a client out (429 + Retry-After) after authFailureLimit failures in a minute, even with the right key', async () => {
    const app = await appWith({ apiKey: 'right-key-123', authFailureLimit: 3 });
    await request(app).get('/v1/models').set('x-api-key', 'right-key-123').expect(200);
    for (let i = 0; i < 3; i++) await request(app).get('/v1/models').set('x-api-key', `wrong-${i}`).expect(401);
    const locked = await request(app).get('/v1/models').set('x-api-key', 'right-key-123').expect(429);
    expect(locked.body.error.code).toBe('RATE_LIMITED');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(60);
  });
});

describe('v2 JSON', () => {
  const tensor = (data: unknown, shape = [1, 8, 8, 3]): string => JSON.stringify({ inputs: [{ name: 'pixels', shape, datatype: 'FP32', data }] });

  it('answers a 100 000-deep nested tensor with 400', async () => {
    const app = await appWith({ jsonLimitBytes: 1024 * 1024 });
    const deep = `{"inputs":[{"name":"pixels","shape":[1,8,8,3],"datatype":"FP32","data":${'['.repeat(100_000)}1${']'.repeat(100_000)}}]}`;
    const res = await request(app).post('/v2/models/colors/infer').set('Content-Type', 'application/json').send(deep).expect(400);
    expect(res.body.error).toMatch(/nested deeper/);
    await request(app).get('/v2/health/live').expect(200);
  });

  it("derives the body limit from the model's input shape (8 × 8×8×3 values here) and refuses more with 413", async () => {
    const app = await appWith();
    const ok = await request(app).post('/v2/models/colors/infer').set('Content-Type', 'application/json').send(tensor(new Array(192).fill(100))).expect(200);
    expect(ok.body.outputs[0].shape).toEqual([1, 3]);
    const limit = 8 * 192 * 24 + 64 * 1024;
    const big = tensor(new Array(Math.ceil(limit / 4)).fill(100));
    expect(big.length).toBeGreaterThan(limit);
    await request(app).post('/v2/models/colors/infer').set('Content-Type', 'application/json').send(big).expect(413);
    const tooMany = tensor(new Array(8 * 192 + 1).fill(1));
    expect((await request(app).post('/v2/models/colors/infer').set('Content-Type', 'application/json').send(tooMany).expect(400)).body.error).toMatch(/more than/);
  });

  it('parses a large body off the main thread: the event loop stays responsive', async () => {
    const app = await appWith({ jsonLimitBytes: 64 * 1024 * 1024 });
    const body = tensor(Array.from({ length: 1_500_000 }, (_, i) => (i % 2560) / 10));
    const t0 = performance.now();
    JSON.parse(body);
    const mainThreadParseMs = performance.now() - t0;
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const res = await request(app).post('/v2/models/colors/infer').set('Content-Type', 'application/json').send(body);
    loop.disable();
    expect(res.status).toBe(400); // more values than the model takes: found while flattening in the worker
    const maxStallMs = loop.max / 1e6;
    expect(mainThreadParseMs).toBeGreaterThan(100);
    expect(maxStallMs, `event loop stalled ${maxStallMs.toFixed(0)} ms; parsing on it takes ${mainThreadParseMs.toFixed(0)} ms`).toBeLessThan(mainThreadParseMs);
  });
});

describe('listening', () => {
  it('port in use: one line naming a free port to try', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const err = await startServer(resolveConfig({ modelsDir: root(), port, pollMs: 0, watch: false, threads: 1, logLevel: 'silent' })).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(new RegExp(`^port ${port} is in use; try --port \\d+$`));
      const suggested = Number(/--port (\d+)/.exec(err?.message ?? '')?.[1]);
      expect(suggested).toBeGreaterThan(port);
    } finally {
      blocker.close();
    }
  });

  it('caps concurrent connections', async () => {
    const running = await startServer(resolveConfig({ modelsDir: root(), port: 0, pollMs: 0, watch: false, threads: 1, logLevel: 'silent', maxConnections: 1 }));
    try {
      expect(running.server.maxConnections).toBe(1);
      const { connect } = await import('node:net');
      const { port } = new URL(running.url);
      const first = connect(Number(port), '127.0.0.1');
      await new Promise((r) => first.once('connect', r));
      await new Promise((r) => setTimeout(r, 50));
      const second = await new Promise<string>((resolve) => {
        const s = connect(Number(port), '127.0.0.1', () => s.write('GET /v2/health/live HTTP/1.1\r\nHost: localhost\r\n\r\n'));
        let data = '';
        s.on('data', (c) => (data += c.toString()));
        s.on('close', () => resolve(data));
        s.on('error', () => resolve(data));
      });
      expect(second).toBe('');
      first.destroy();
    } finally {
      await running.close();
    }
  });
});
