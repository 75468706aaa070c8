import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClassifier } from '@headstart/inference/node';
import { join } from 'node:path';
import type { HeadstartApp } from '../src/index.ts';
import { registryApps } from './helpers.ts';

/** NHWC pixels for `count` solid images of 8×8. */
function pixels(colours: [number, number, number][]): number[] {
  const out: number[] = [];
  for (const c of colours) for (let i = 0; i < 64; i++) out.push(...c);
  return out;
}

describe('Open Inference Protocol v2', () => {
  const { appWith, root } = registryApps();
  let app: HeadstartApp;
  beforeAll(async () => {
    app = await appWith();
  });

  it('health: live and ready answer 200 with an empty body', async () => {
    const live = await request(app).get('/v2/health/live').expect(200);
    expect(live.text).toBe('');
    await request(app).get('/v2/health/ready').expect(200);
  });

  it('server metadata', async () => {
    const res = await request(app).get('/v2').expect(200);
    expect(res.body).toMatchObject({ name: 'headstart', version: expect.any(String), extensions: expect.any(Array) });
  });

  it('model metadata per the protocol (versions as strings, NHWC input, FP32 output)', async () => {
    const res = await request(app).get('/v2/models/colors').expect(200);
    expect(res.body).toEqual({
      name: 'colors',
      versions: ['1', '2'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'pixels', datatype: 'FP32', shape: [-1, 8, 8, 3] }],
      outputs: [
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] },
        { name: 'label', datatype: 'BYTES', shape: [-1] },
      ],
    });
    await request(app).get('/v2/models/colors/versions/1').expect(200);
    await request(app).get('/v2/models/colors/versions/7').expect(404);
  });

  it('model readiness', async () => {
    await request(app).get('/v2/models/colors/ready').expect(200);
    await request(app).get('/v2/models/colors/versions/1/ready').expect(200);
    await request(app).get('/v2/models/missing/ready').expect(404);
  });

  it('infer: a request built exactly per the protocol (FP32, batch of 2)', async () => {
    const body = {
      id: 'req-42',
      inputs: [{ name: 'pixels', shape: [2, 8, 8, 3], datatype: 'FP32', data: pixels([[250, 0, 0], [0, 0, 250]]) }],
      outputs: [{ name: 'probabilities' }],
    };
    const res = await request(app).post('/v2/models/colors/versions/1/infer').set('Content-Type', 'application/json').send(JSON.stringify(body)).expect(200);
    expect(res.body.model_name).toBe('colors');
    expect(res.body.model_version).toBe('1');
    expect(res.body.id).toBe('req-42');
    expect(res.body.outputs).toHaveLength(1);
    const out = res.body.outputs[0];
    expect(out).toMatchObject({ name: 'probabilities', shape: [2, 3], datatype: 'FP32' });
    expect(out.data).toHaveLength(6);
    expect(out.data[0]).toBeGreaterThan(0.9);
    expect(out.data[5]).toBeGreaterThan(0.9);
    // same numbers as the library on the same pixels
    const clf = await createClassifier(join(root(), 'colors', '1', 'model.onnx'), { threads: 1 });
    const direct = await clf.runPixels(Float32Array.from(body.inputs[0]!.data), 2);
    await clf.dispose();
    direct.forEach((p, i) => expect(Math.abs(p - out.data[i])).toBeLessThan(1e-6));
  });

  it('infer: UINT8 with nested data and latest version; classification extension', async () => {
    const nested = [Array.from({ length: 8 }, () => Array.from({ length: 8 }, () => [0, 240, 0]))];
    const res = await request(app)
      .post('/v2/models/colors/infer')
      .send({ inputs: [{ name: 'pixels', shape: [1, 8, 8, 3], datatype: 'UINT8', data: nested }], outputs: [{ name: 'probabilities', parameters: { classification: 2 } }] })
      .expect(200);
    expect(res.body.model_version).toBe('2');
    expect(res.body.outputs[0]).toMatchObject({ name: 'probabilities', shape: [1, 2], datatype: 'BYTES' });
    expect(res.body.outputs[0].data[0]).toMatch(/^0\.\d+:1:green$/);
  });

  it('infer errors use the protocol error shape {error: string}', async () => {
    const wrongShape = await request(app).post('/v2/models/colors/infer').send({ inputs: [{ name: 'pixels', shape: [1, 4, 4, 3], datatype: 'FP32', data: new Array(48).fill(0) }] }).expect(400);
    expect(typeof wrongShape.body.error).toBe('string');
    expect(wrongShape.body.error).toMatch(/\[N,8,8,3\]/);
    await request(app).post('/v2/models/colors/infer').send({ inputs: [{ name: 'pixels', shape: [1, 8, 8, 3], datatype: 'FP32', data: [1, 2] }] }).expect(400);
    await request(app).post('/v2/models/colors/infer').send({ inputs: [{ name: 'pixels', shape: [1, 8, 8, 3], datatype: 'INT64', data: new Array(192).fill(0) }] }).expect(400);
    await request(app).post('/v2/models/colors/infer').send({ inputs: [{ name: 'pixels', shape: [1, 8, 8, 3], datatype: 'FP32', data: new Array(192).fill(300) }] }).expect(400);
    await request(app).post('/v2/models/colors/infer').send({ inputs: [{ name: 'other', shape: [1, 8, 8, 3], datatype: 'FP32', data: new Array(192).fill(0) }] }).expect(400);
    await request(app).post('/v2/models/colors/infer').set('Content-Type', 'application/json').send('{"inputs": [').expect(400);
    await request(app).post('/v2/models/colors/infer').send({ nope: true }).expect(400);
    const missing = await request(app).post('/v2/models/missing/infer').send({ inputs: [] }).expect(404);
    expect(missing.body.error).toMatch(/MODEL_NOT_FOUND/);
  });
});
