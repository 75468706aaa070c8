import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, type HeadstartApp } from '../src/index.ts';
import { makeRegistry, solid, writeModel } from './helpers.ts';

const apps: HeadstartApp[] = [];
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
});

describe('model registry', () => {
  it('skips invalid names/versions and reports models that fail to load', async () => {
    const root = makeRegistry();
    mkdirSync(join(root, 'bad name', '1'), { recursive: true });
    writeFileSync(join(root, 'bad name', '1', 'model.onnx'), 'x');
    mkdirSync(join(root, 'colors', '01'), { recursive: true });
    writeFileSync(join(root, 'colors', '01', 'model.onnx'), 'x');
    mkdirSync(join(root, 'broken', '1'), { recursive: true });
    writeFileSync(join(root, 'broken', '1', 'model.onnx'), Buffer.from([0x0a, 0xff, 0xff, 0xff]));
    const app = buildApp({ modelsDir: root, pollMs: 0, threads: 1 });
    apps.push(app);
    await app.ready;
    const res = await request(app).get('/v1/models').expect(200);
    expect(res.body.models.map((m: { name: string }) => m.name)).toEqual(['colors', 'tall']);
    expect(res.body.failures).toEqual([expect.objectContaining({ name: 'broken', version: 1 })]);
  });

  it('reloads on change without dropping in-flight requests', async () => {
    const root = makeRegistry();
    const app = buildApp({ modelsDir: root, pollMs: 0, watch: false, threads: 1, maxDelayMs: 300 });
    apps.push(app);
    await app.ready;
    const red = await solid([250, 0, 0]);
    // queued for 300 ms on the old v1 session
    const inflight = request(app).post('/v1/models/colors/versions/1/predict').set('Content-Type', 'image/png').send(red).then((r) => r);
    await new Promise((r) => setTimeout(r, 100));
    // replace v1 with a model that says blue for red, add v3, remove 'tall'
    writeModel(root, 'colors', 1, { weights: [-2, -2, 8, -2, 8, -2, 8, -2, -2] });
    writeModel(root, 'colors', 3);
    rmSync(join(root, 'tall'), { recursive: true });
    await app.registry.refresh();
    const old = await inflight;
    expect(old.status).toBe(200);
    expect(old.body.predictions[0].label).toBe('red');
    const fresh = await request(app).post('/v1/models/colors/versions/1/predict').set('Content-Type', 'image/png').send(red).expect(200);
    expect(fresh.body.predictions[0].label).toBe('blue');
    expect((await request(app).get('/v1/models/colors').expect(200)).body.version).toBe(3);
    await request(app).get('/v1/models/tall').expect(404);
  });

  it('picks up new versions by file watching, without polling', async () => {
    const root = makeRegistry();
    const app = buildApp({ modelsDir: root, pollMs: 0, watch: true, threads: 1 });
    apps.push(app);
    await app.ready;
    writeModel(root, 'watched', 1);
    const until = Date.now() + 5000;
    let found = false;
    while (!found && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      found = (await request(app).get('/v1/models/watched')).status === 200;
    }
    expect(found).toBe(true);
  });

  it('picks up new versions by polling', async () => {
    const root = makeRegistry();
    const app = buildApp({ modelsDir: root, pollMs: 50, watch: false, threads: 1 });
    apps.push(app);
    await app.ready;
    writeModel(root, 'late', 4);
    const until = Date.now() + 5000;
    let found = false;
    while (!found && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      found = (await request(app).get('/v1/models/late')).status === 200;
    }
    expect(found).toBe(true);
  });
});
