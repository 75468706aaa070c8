import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClassifier } from '@headstart/inference/node';
import type { HeadstartApp } from '../src/index.ts';
import { gradient, LABELS, registryApps, solid } from './helpers.ts';

describe('v1 routes', () => {
  const { appWith, root } = registryApps();
  let app: HeadstartApp;
  beforeAll(async () => {
    app = await appWith();
  });

  it('lists models with versions', async () => {
    const res = await request(app).get('/v1/models').expect(200);
    expect(res.body.models.map((m: { name: string }) => m.name)).toEqual(['colors', 'tall']);
    expect(res.body.models[0]).toMatchObject({ name: 'colors', versions: [1, 2], latest: 2, labels: 3, provider: 'cpu' });
    expect(res.body.failures).toEqual([]);
  });

  it('describes a model: labels, input spec, versions, provider, manifest', async () => {
    const res = await request(app).get('/v1/models/colors').expect(200);
    expect(res.body).toMatchObject({ name: 'colors', version: 2, versions: [1, 2], labels: LABELS, provider: 'cpu' });
    expect(res.body.input).toMatchObject({ name: 'pixels', shape: [-1, 8, 8, 3], datatype: 'FP32' });
    expect(res.body.output).toMatchObject({ name: 'probabilities', shape: [-1, 3] });
    expect(res.body.manifest).toMatchObject({ name: 'colors', metrics: { val_acc: 0.9 }, datasetCounts: { train: 6 }, base: { id: 'tiny' } });
    expect(JSON.stringify(res.body)).not.toContain('/home/me/secret');
    await request(app).get('/v1/models/colors/versions/1').expect(200);
  });

  it('serves the ONNX file for download', async () => {
    const res = await request(app).get('/v1/models/colors/versions/1/model.onnx').buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    }).expect(200);
    expect(res.headers['content-type']).toContain('application/octet-stream');
    expect(Buffer.compare(res.body as Buffer, readFileSync(join(root(), 'colors', '1', 'model.onnx')))).toBe(0);
  });

  it('serves a published report.json with the run history attached, 404 when none', async () => {
    await request(app).get('/v1/models/colors/versions/2/report.json').expect(404);
    const dir = join(root(), 'colors', '1');
    writeFileSync(join(dir, 'report.json'), JSON.stringify({ accuracy: 0.75, labels: LABELS }));
    writeFileSync(join(dir, 'history.jsonl'), '{"phase":"phase1","epoch":1,"loss":0.9}\n{"phase":"phase1","epoch":2,"loss":0.5}\n');
    const res = await request(app).get('/v1/models/colors/versions/1/report.json').expect(200);
    expect(res.body).toMatchObject({ accuracy: 0.75, labels: LABELS });
    expect(res.body.history.map((h: { loss: number }) => h.loss)).toEqual([0.9, 0.5]);
    writeFileSync(join(dir, 'report.json'), '[1,2]');
    const bad = await request(app).get('/v1/models/colors/versions/1/report.json').expect(500);
    expect(bad.body.error.code).toBe('MODEL_INVALID');
  });

  it('predicts from a raw image body, latest version by default, with topk', async () => {
    const res = await request(app).post('/v1/models/colors/predict?topk=2').set('Content-Type', 'image/png').send(await solid([250, 5, 5])).expect(200);
    expect(res.body.model).toBe('colors');
    expect(res.body.version).toBe(2);
    expect(res.body.predictions).toHaveLength(2);
    expect(res.body.predictions[0].label).toBe('blue'); // v2 swaps red and blue
    expect(res.body.timings).toHaveProperty('inferenceMs');
    expect(res.body.timings).toHaveProperty('queueMs');
    expect(res.body.timings).toHaveProperty('decodeMs');
  });

  it('predicts with an explicit version from multipart (jpeg and webp)', async () => {
    const jpeg = await request(app).post('/v1/models/colors/versions/1/predict').attach('image', await solid([250, 5, 5], 'jpeg'), 'a.jpg').expect(200);
    expect(jpeg.body.version).toBe(1);
    expect(jpeg.body.predictions[0].label).toBe('red');
    expect(jpeg.body.predictions).toHaveLength(3);
    const webp = await request(app).post('/v1/models/colors/versions/1/predict').set('Content-Type', 'image/webp').send(await solid([5, 5, 250], 'webp')).expect(200);
    expect(webp.body.predictions[0].label).toBe('blue');
  });

  it('answers a multipart batch with one result per image, in order', async () => {
    const res = await request(app)
      .post('/v1/models/colors/versions/1/predict?topk=1')
      .attach('image', await solid([250, 5, 5]), 'r.png')
      .attach('image', await solid([5, 250, 5]), 'g.png')
      .attach('image', await solid([5, 5, 250]), 'b.png')
      .expect(200);
    expect(res.body.results.map((r: { predictions: { label: string }[] }) => r.predictions[0]!.label)).toEqual(['red', 'green', 'blue']);
    expect(res.body.timings.batchSize).toBeGreaterThanOrEqual(3);
  });

  it('gives the same top-1 and probabilities (1e-4) as @headstart/inference directly', async () => {
    const img = await gradient();
    const clf = await createClassifier(join(root(), 'tall', '1', 'model.onnx'), { threads: 1 });
    const direct = await clf.classify(img, { topK: 3 });
    await clf.dispose();
    const res = await request(app).post('/v1/models/tall/predict?topk=3').set('Content-Type', 'image/png').send(img).expect(200);
    expect(res.body.predictions[0].label).toBe(direct.predictions[0]!.label);
    for (const [i, p] of direct.predictions.entries()) {
      expect(res.body.predictions[i].label).toBe(p.label);
      expect(Math.abs(res.body.predictions[i].probability - p.probability)).toBeLessThan(1e-4);
    }
  });

  it('404s unknown models and versions, 400s bad names/versions/topk', async () => {
    const png = await solid([1, 2, 3]);
    const r1 = await request(app).post('/v1/models/nope/predict').set('Content-Type', 'image/png').send(png).expect(404);
    expect(r1.body.error.code).toBe('MODEL_NOT_FOUND');
    await request(app).get('/v1/models/colors/versions/9').expect(404);
    const bad = await request(app).get('/v1/models/colors/versions/0').expect(400);
    expect(bad.body.error.code).toBe('USAGE');
    await request(app).get('/v1/models/..%2F..%2Fetc').expect(400);
    await request(app).get('/v1/models/colors/versions/1%2F..%2F2/model.onnx').expect(400);
    await request(app).post('/v1/models/colors/predict?topk=abc').set('Content-Type', 'image/png').send(png).expect(400);
    const nf = await request(app).get('/v1/nothing').expect(404);
    expect(nf.body.error.code).toBe('NOT_FOUND');
  });

  it('serves an OpenAPI document for v1', async () => {
    const res = await request(app).get('/openapi.json').expect(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toContain('/v1/models/{name}/predict');
  });

  it('exposes Prometheus metrics: requests, stage latencies, batch sizes, models loaded', async () => {
    const res = await request(app).get('/metrics').expect(200);
    expect(res.text).toMatch(/headstart_http_requests_total\{route="\/v1\/models\/:name\/predict",method="POST",status="200"\} \d+/);
    expect(res.text).toMatch(/headstart_prediction_stage_seconds_count\{stage="queue",model="colors"\} \d+/);
    expect(res.text).toMatch(/headstart_prediction_stage_seconds_count\{stage="decode",model="colors"\} \d+/);
    expect(res.text).toMatch(/headstart_prediction_stage_seconds_count\{stage="inference",model="colors"\} \d+/);
    expect(res.text).toMatch(/headstart_batch_size_count\{model="colors"\} \d+/);
    expect(res.text).toMatch(/headstart_models_loaded 3/);
  });

  it('sets a request id header, echoing a valid incoming one', async () => {
    const res = await request(app).get('/v1/models').set('x-request-id', 'abc-123').expect(200);
    expect(res.headers['x-request-id']).toBe('abc-123');
    const gen = await request(app).get('/v1/models').set('x-request-id', 'bad id with spaces').expect(200);
    expect(gen.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
