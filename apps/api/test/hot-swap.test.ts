import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTinyClassifierOnnx } from '@headstart/inference/testing';
import { buildApp, type HeadstartApp } from '../src/index.ts';
import { LABELS, makeRegistry, solid } from './helpers.ts';

const later = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const apps: HeadstartApp[] = [];
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
});

/** Overwrites a file in place in a few chunks with pauses, as a slow `cp` does: scans can see it half-written. */
async function slowCopyInPlace(path: string, bytes: Uint8Array): Promise<void> {
  const fh = await open(path, 'w');
  try {
    const step = Math.ceil(bytes.length / 3);
    for (let i = 0; i < bytes.length; i += step) {
      await fh.write(bytes.subarray(i, i + step));
      await later(40);
    }
  } finally {
    await fh.close();
  }
}

describe('hot-swap under load (issue 18.4)', () => {
  it('in-place copy, atomic publish and version removal lose no request', async () => {
    const root = makeRegistry();
    const app = buildApp({ modelsDir: root, pollMs: 30, watch: true, threads: 1, maxDelayMs: 15 });
    apps.push(app);
    await app.ready;
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const png = new Uint8Array(await solid([250, 0, 0]));
    const statuses = new Map<string, number>();
    let stop = false;
    const client = async (path: string): Promise<void> => {
      while (!stop) {
        const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: png });
        const body = await res.text();
        const key = res.status === 200 ? '200' : `${res.status} ${body}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
      }
    };
    const clients = [...Array.from({ length: 4 }, () => client('/v1/models/colors/predict')), ...Array.from({ length: 2 }, () => client('/v1/models/colors/versions/1/predict'))];
    try {
      await later(200);
      // in-place copy over v1 (same version, new weights), slowly
      await slowCopyInPlace(join(root, 'colors', '1', 'model.onnx'), buildTinyClassifierOnnx({ labels: LABELS, size: [8, 8], weights: [-2, -2, 8, -2, 8, -2, 8, -2, -2] }));
      await later(300);
      // atomic publish of v3: written aside, then renamed into place
      mkdirSync(join(root, 'colors', '.v3.tmp'));
      await slowCopyInPlace(join(root, 'colors', '.v3.tmp', 'model.onnx'), buildTinyClassifierOnnx({ labels: LABELS, size: [8, 8] }));
      renameSync(join(root, 'colors', '.v3.tmp'), join(root, 'colors', '3'));
      await later(300);
      // removal of the latest version (v3) and of v2, while requests for "latest" hit them
      rmSync(join(root, 'colors', '3'), { recursive: true });
      await later(150);
      rmSync(join(root, 'colors', '2'), { recursive: true });
      await later(300);
    } finally {
      stop = true;
      await Promise.all(clients);
      server.close();
    }
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(30);
    expect(Object.fromEntries(statuses)).toEqual({ '200': total });
    expect(app.registry.versions('colors')).toEqual([1]);
  });
});
