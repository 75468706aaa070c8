import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type HeadstartApp } from '../src/index.ts';
import { solid, writeModel } from './helpers.ts';

/** Confident on pure colours (weights 8 on the matching channel), near-uniform on grey. */
const SHARP = [8, -2, -2, -2, 8, -2, -2, -2, 8];

describe('"unknown" below the model threshold (headstart.unknown_below)', () => {
  let app: HeadstartApp;
  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), 'headstart-api-unknown-'));
    writeModel(root, 'guarded', 1, { weights: SHARP, metadata: { 'headstart.unknown_below': '0.6' } });
    writeModel(root, 'open', 1, { weights: SHARP });
    app = buildApp({ modelsDir: root, pollMs: 0, threads: 1 });
    await app.ready;
  });
  afterAll(() => app.close());

  it('v1 answers the top label when confident and "unknown" below the threshold, the top label still first', async () => {
    const red = await request(app).post('/v1/models/guarded/predict?topk=2').set('Content-Type', 'image/png').send(await solid([250, 5, 5])).expect(200);
    expect(red.body).toMatchObject({ label: 'red', unknown: false });
    expect(red.body.predictions[0].label).toBe('red');
    expect(red.body.predictions[0].probability).toBeGreaterThan(0.6);
    const grey = await request(app).post('/v1/models/guarded/predict?topk=2').set('Content-Type', 'image/png').send(await solid([128, 128, 128])).expect(200);
    expect(grey.body).toMatchObject({ label: 'unknown', unknown: true });
    expect(grey.body.predictions).toHaveLength(2);
    expect(grey.body.predictions[0].probability).toBeLessThan(0.6);
    // The same grey image on a model without a threshold: its top label.
    const open = await request(app).post('/v1/models/open/predict').set('Content-Type', 'image/png').send(await solid([128, 128, 128])).expect(200);
    expect(open.body).toMatchObject({ label: open.body.predictions[0].label, unknown: false });
  });

  it('v1 batch: one answer per image; topk=1 does not change the decision', async () => {
    const res = await request(app)
      .post('/v1/models/guarded/predict?topk=1')
      .attach('image', await solid([5, 5, 250]), 'b.png')
      .attach('image', await solid([128, 128, 128]), 'g.png')
      .expect(200);
    expect(res.body.results.map((r: { label: string }) => r.label)).toEqual(['blue', 'unknown']);
    expect(res.body.results[1].predictions).toHaveLength(1);
  });

  it('model info names the threshold (v1 and v2 metadata)', async () => {
    expect((await request(app).get('/v1/models/guarded').expect(200)).body.unknownBelow).toBe(0.6);
    expect((await request(app).get('/v1/models/open').expect(200)).body.unknownBelow).toBeNull();
    const v2 = await request(app).get('/v2/models/guarded').expect(200);
    expect(v2.body.parameters).toEqual({ unknown_below: 0.6 });
    expect(v2.body.outputs.map((o: { name: string }) => o.name)).toEqual(['probabilities', 'label']);
  });

  it('v2 infer returns the answers as a BYTES output "label" beside the probabilities', async () => {
    const px = (c: number[]): number[] => Array.from({ length: 64 }, () => c).flat();
    const inputs = [{ name: 'pixels', shape: [2, 8, 8, 3], datatype: 'UINT8', data: [...px([0, 250, 0]), ...px([128, 128, 128])] }];
    const res = await request(app).post('/v2/models/guarded/infer').set('Content-Type', 'application/json').send(JSON.stringify({ inputs })).expect(200);
    const label = res.body.outputs.find((o: { name: string }) => o.name === 'label');
    expect(label).toEqual({ name: 'label', shape: [2], datatype: 'BYTES', data: ['green', 'unknown'], parameters: { unknown_below: 0.6 } });
    const probs = res.body.outputs.find((o: { name: string }) => o.name === 'probabilities');
    expect(Math.max(...probs.data.slice(3))).toBeLessThan(0.6);
    // Without a threshold the default outputs are the probabilities only; "label" can still be asked for.
    const open = await request(app).post('/v2/models/open/infer').set('Content-Type', 'application/json').send(JSON.stringify({ inputs })).expect(200);
    expect(open.body.outputs.map((o: { name: string }) => o.name)).toEqual(['probabilities']);
    const asked = await request(app).post('/v2/models/open/infer').set('Content-Type', 'application/json').send(JSON.stringify({ inputs, outputs: [{ name: 'label' }] })).expect(200);
    expect(asked.body.outputs[0].data[0]).toBe('green');
    expect(asked.body.outputs[0].data[1]).not.toBe('unknown');
  });
});
