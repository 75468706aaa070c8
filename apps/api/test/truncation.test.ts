import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type HeadstartApp } from '../src/index.ts';
import { makeRegistry, solid } from './helpers.ts';

const BOUNDARY = 'hsboundary42';
const TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

function multipart(png: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`),
    png,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
}

describe('truncated multipart bodies (issue 18.1)', () => {
  let app: HeadstartApp;
  beforeAll(async () => {
    app = buildApp({ modelsDir: makeRegistry(), pollMs: 0, threads: 1 });
    await app.ready;
  });
  afterAll(() => app.close());

  it('answers a body that ends inside a file part with 400 and stays up', async () => {
    const body = Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n\r\nabc`);
    const res = await request(app).post('/v1/models/colors/predict').set('Content-Type', TYPE).send(body).expect(400);
    expect(res.body.error.code).toBe('USAGE');
    await request(app).get('/v2/health/live').expect(200);
  });

  it('answers a truncation at every byte of a valid request with 4xx, and the whole request with 200', async () => {
    const full = multipart(await solid([200, 10, 10]));
    const ok = await request(app).post('/v1/models/colors/versions/1/predict').set('Content-Type', TYPE).send(full).expect(200);
    expect(ok.body.predictions[0].label).toBe('red');
    // Only the CRLF after the close delimiter is optional (RFC 2046): cutting it still leaves a whole request.
    const complete = full.length - 2;
    const statuses = new Map<number, number>();
    for (let n = 0; n < complete; n++) {
      const res = await request(app).post('/v1/models/colors/versions/1/predict').set('Content-Type', TYPE).send(full.subarray(0, n));
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(res.status, `truncated at byte ${n} of ${full.length} → ${res.status} ${JSON.stringify(res.body)}`).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(complete);
    await request(app).post('/v1/models/colors/versions/1/predict').set('Content-Type', TYPE).send(full.subarray(0, complete)).expect(200);
    await request(app).get('/v2/health/live').expect(200);
    await request(app).post('/v1/models/colors/versions/1/predict').set('Content-Type', TYPE).send(full).expect(200);
  });
});
