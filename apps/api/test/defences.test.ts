import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HeadstartApp } from '../src/index.ts';
import { makeRegistry, registryApps, solid } from './helpers.ts';

const { appWith } = registryApps();

const PREDICT = '/v1/models/colors/predict';

describe('body limits (413)', () => {
  it('refuses raw and multipart bodies over the limit, and oversized v2 JSON', async () => {
    const app = await appWith({ bodyLimitBytes: 4096, jsonLimitBytes: 4096 });
    const big = Buffer.concat([await solid([1, 2, 3]), Buffer.alloc(8000, 7)]);
    const raw = await request(app).post(PREDICT).set('Content-Type', 'image/png').send(big).expect(413);
    expect(raw.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    await request(app).post(PREDICT).attach('image', big, 'big.png').expect(413);
    const json = await request(app).post('/v2/models/colors/infer').send({ inputs: [{ name: 'pixels', shape: [1, 8, 8, 3], datatype: 'FP32', data: new Array(192).fill(100.123456) }], pad: 'x'.repeat(5000) }).expect(413);
    expect(typeof json.body.error).toBe('string');
  });

  it('refuses bodies on routes that read none (GET) over 1 KiB', async () => {
    const app = await appWith();
    await request(app).get('/v1/models').set('Content-Type', 'text/plain').send('x'.repeat(2000)).expect(413);
  });

  it('refuses decompression bombs fast from the header (IMAGE_TOO_LARGE)', async () => {
    const app = await appWith();
    const bomb = await sharp({ create: { width: 6000, height: 6000, channels: 3, background: { r: 0, g: 0, b: 0 } } }).png({ compressionLevel: 9 }).toBuffer();
    expect(bomb.length).toBeLessThan(1_000_000);
    const t0 = performance.now();
    const res = await request(app).post(PREDICT).set('Content-Type', 'image/png').send(bomb).expect(413);
    expect(res.body.error.code).toBe('IMAGE_TOO_LARGE');
    expect(performance.now() - t0).toBeLessThan(1500);
    const small = await appWith({ maxPixels: 500 });
    await request(small).post(PREDICT).set('Content-Type', 'image/png').send(await solid([1, 1, 1], 'png', 40, 40)).expect(413);
  });
});

describe('format allow-list (415)', () => {
  let app: HeadstartApp;
  beforeAll(async () => {
    app = await appWith();
  });
  const fakes: Record<string, Buffer> = {
    SVG: Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'),
    TIFF: Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0, 0, 0]),
    PDF: Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\n'),
    HTML: Buffer.from('<!DOCTYPE html><html><body><script>alert(1)</script></body></html>'),
  };
  for (const [kind, bytes] of Object.entries(fakes)) {
    it(`refuses ${kind} renamed as an image`, async () => {
      const res = await request(app).post(PREDICT).set('Content-Type', 'image/png').send(bytes).expect(415);
      expect(res.body.error.code).toBe('IMAGE_FORMAT_UNSUPPORTED');
      expect(res.body.error.message).toContain(kind);
      await request(app).post(PREDICT).attach('image', bytes, { filename: 'x.jpg', contentType: 'image/jpeg' }).expect(415);
    });
  }
  it('refuses other content types and undecodable images', async () => {
    await request(app).post(PREDICT).set('Content-Type', 'text/plain').send('hello').expect(415);
    await request(app).post(PREDICT).set('Content-Type', 'image/gif').send(Buffer.from('GIF89a')).expect(415);
    const png = await solid([9, 9, 9]);
    const truncated = await request(app).post(PREDICT).set('Content-Type', 'image/png').send(png.subarray(0, 40)).expect(400);
    expect(truncated.body.error.code).toBe('IMAGE_UNDECODABLE');
    await request(app).post(PREDICT).attach('other', png, 'x.png').expect(400);
    await request(app).post(PREDICT).field('image', 'not a file').expect(400);
  });
});

describe('auth, CORS, errors', () => {
  it('requires the API key when configured (Bearer or x-api-key); health stays open', async () => {
    const app = await appWith({ apiKey: 'secret-key-123' });
    const denied = await request(app).get('/v1/models').expect(401);
    expect(denied.body.error.code).toBe('UNAUTHORIZED');
    await request(app).get('/v1/models').set('Authorization', 'Bearer wrong-key-000').expect(401);
    await request(app).get('/v1/models').set('Authorization', 'Bearer secret-key-123').expect(200);
    await request(app).get('/v2/models/colors').set('x-api-key', 'secret-key-123').expect(200);
    await request(app).post('/v2/models/colors/infer').send({}).expect(401);
    await request(app).get('/metrics').expect(401);
    await request(app).get('/v2/health/ready').expect(200);
  });

  it('answers CORS only for configured origins, including preflight', async () => {
    const app = await appWith({ corsOrigins: ['https://ok.example'] });
    const ok = await request(app).get('/v1/models').set('Origin', 'https://ok.example').expect(200);
    expect(ok.headers['access-control-allow-origin']).toBe('https://ok.example');
    const other = await request(app).get('/v1/models').set('Origin', 'https://evil.example').expect(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await request(app).options(PREDICT).set('Origin', 'https://ok.example').set('Access-Control-Request-Method', 'POST').expect(204);
    expect(pre.headers['access-control-allow-methods']).toContain('POST');
  });

  it('maps internal failures to JSON without stack traces', async () => {
    const dir = makeRegistry();
    const app = await appWith({ modelsDir: dir });
    rmSync(join(dir, 'colors', '1', 'model.onnx'));
    const res = await request(app).get('/v1/models/colors/versions/1/model.onnx').expect(500);
    expect(res.body.error.code).toBe('IO');
    expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  });
});

describe('queueing and deadlines', () => {
  it('returns 429 with Retry-After when the queue is full', async () => {
    const app = await appWith({ maxBatch: 8, maxDelayMs: 400, queueSize: 2 });
    const png = await solid([200, 0, 0]);
    const send = () => request(app).post(PREDICT).set('Content-Type', 'image/png').send(png);
    const results = await Promise.all([send(), send(), send(), send()]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 429, 429]);
    const refused = results.find((r) => r.status === 429)!;
    expect(refused.body.error.code).toBe('QUEUE_FULL');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const ok = results.find((r) => r.status === 200)!;
    expect(ok.body.timings.batchSize).toBe(2);
  });

  it('returns 504 when the deadline passes while queued', async () => {
    const app = await appWith({ maxBatch: 8, maxDelayMs: 300, deadlineMs: 60 });
    const res = await request(app).post(PREDICT).set('Content-Type', 'image/png').send(await solid([0, 0, 200])).expect(504);
    expect(res.body.error.code).toBe('DEADLINE_EXCEEDED');
  });

  it('refuses new requests while draining (503) and reports not ready', async () => {
    const app = await appWith();
    app.drain();
    const res = await request(app).get('/v1/models').expect(503);
    expect(res.body.error.code).toBe('UNAVAILABLE');
    await request(app).get('/v2/health/ready').expect(400);
  });
});

describe('web root', () => {
  it('serves the page with COOP/COEP and wasm/mjs content types', async () => {
    const web = mkdtempSync(join(tmpdir(), 'headstart-web-'));
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>hs</title>');
    writeFileSync(join(web, 'ort.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d]));
    writeFileSync(join(web, 'app.mjs'), 'export {};');
    const app = await appWith({ webRoot: web });
    const page = await request(app).get('/').expect(200);
    expect(page.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(page.headers['cross-origin-embedder-policy']).toBe('require-corp');
    expect(page.text).toContain('<title>hs</title>');
    expect((await request(app).get('/ort.wasm').expect(200)).headers['content-type']).toBe('application/wasm');
    expect((await request(app).get('/app.mjs').expect(200)).headers['content-type']).toMatch(/^text\/javascript/);
    await request(app).get('/../../etc/passwd').expect(404);
    await request(app).get('/v1/models').expect(200);
  });
});
