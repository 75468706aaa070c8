import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@headstart/core';
import { buildApp, type HeadstartApp } from '../src/index.ts';
import { gradient, makeRegistry, solid } from './helpers.ts';

describe('fuzz: hostile bodies', () => {
  let app: HeadstartApp;
  beforeAll(async () => {
    app = buildApp({ modelsDir: makeRegistry(), pollMs: 0, threads: 1, bodyLimitBytes: 256 * 1024, jsonLimitBytes: 256 * 1024 });
    await app.ready;
  });
  afterAll(() => app.close());

  it('answers a few hundred random, truncated and mutated bodies with 4xx (or 200 when still a valid image), stays up, memory bounded', async () => {
    const rng = createRng(1234);
    const seeds = [await solid([200, 10, 10], 'png'), await solid([10, 200, 10], 'jpeg'), await solid([10, 10, 200], 'webp'), await gradient()];
    const types = ['image/png', 'image/jpeg', 'image/webp', 'application/octet-stream', 'text/html', 'multipart/form-data; boundary=x', ''];
    const heapBefore = process.memoryUsage().heapUsed;
    const statuses = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const kind = i % 5;
      const seed = seeds[rng.int(seeds.length)]!;
      let body: Buffer;
      if (kind === 0) body = Buffer.from(Array.from({ length: rng.int(4096) }, () => rng.int(256)));
      else if (kind === 1) body = seed.subarray(0, rng.int(seed.length));
      else {
        body = Buffer.from(seed);
        const flips = 1 + rng.int(20);
        for (let f = 0; f < flips; f++) body[rng.int(body.length)] = rng.int(256);
      }
      let res;
      if (kind === 3) {
        res = await request(app).post('/v1/models/colors/predict').attach('image', body, 'f.bin');
      } else if (kind === 4) {
        const json = rng.int(2) === 0 ? body.toString('latin1') : JSON.stringify({ inputs: [{ name: 'pixels', shape: [1, 8, 8, rng.int(5)], datatype: ['FP32', 'UINT8', 'BYTES'][rng.int(3)], data: Array.from({ length: rng.int(300) }, () => rng.int(400) - 50) }] });
        res = await request(app).post('/v2/models/colors/infer').set('Content-Type', 'application/json').send(json);
      } else {
        res = await request(app).post('/v1/models/colors/predict').set('Content-Type', types[rng.int(types.length)]!).send(body);
      }
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(res.status, `body #${i} (kind ${kind}) → ${res.status} ${JSON.stringify(res.body)}`).toBeLessThan(500);
      if (kind === 0) expect(res.status).toBeGreaterThanOrEqual(400);
      if (res.status >= 400) expect(res.body.error).toBeDefined();
    }
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    expect(heapGrowth).toBeLessThan(96 * 1024 * 1024);
    expect([...statuses.keys()].every((s) => s === 200 || (s >= 400 && s < 500))).toBe(true);
    await request(app).get('/v2/health/live').expect(200);
    const ok = await request(app).post('/v1/models/colors/versions/1/predict').set('Content-Type', 'image/png').send(seeds[0]!).expect(200);
    expect(ok.body.predictions[0].label).toBe('red');
  });
});
