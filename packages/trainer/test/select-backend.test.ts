import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { isHeadstartError } from '@headstart/core';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select-backend.ts';
import { tfjsCoreCopies, tfjsCoreResolutions } from '../src/backend/tfjs-instance.ts';

function nativeLoads(pkg: string): boolean {
  try {
    createRequire(import.meta.url)(pkg);
    return true;
  } catch {
    return false;
  }
}

describe('selectBackend', () => {
  it('auto picks the first backend that loads and records every try', async () => {
    const report = await selectBackend('auto');
    expect(report.tried.at(-1)).toEqual({ name: report.name, ok: true });
    expect(report.tfjsBackend).toBe(tf.getBackend());
    if (!nativeLoads('@tensorflow/tfjs-node-gpu') && !nativeLoads('@tensorflow/tfjs-node')) {
      expect(report.name).toBe('wasm');
      expect(report.convGradients).toBe('headstart-wasm');
      expect(report.tried.slice(0, 2).map((t) => [t.name, t.ok])).toEqual([
        ['tensorflow-gpu', false],
        ['tensorflow', false],
      ]);
      expect(report.tried[1]?.error).toMatch(/tfjs_binding|libtensorflow|Cannot find/);
      expect(report.wasm?.simd).toBe(true);
    }
  });

  it.skipIf(nativeLoads('@tensorflow/tfjs-node'))('an unavailable explicit backend is a BACKEND_UNAVAILABLE error naming the fix (skipped where tfjs-node loads)', async () => {
    const err = await selectBackend('tensorflow').catch((e: unknown) => e);
    expect(isHeadstartError(err, 'BACKEND_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toMatch(/npm rebuild @tensorflow\/tfjs-node/);
    expect((err as Error).message).toMatch(/allowScripts/);
  });

  it('explicit cpu and wasm switch the active tfjs backend', async () => {
    expect((await selectBackend('cpu')).tfjsBackend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    const wasm = await selectBackend('wasm');
    expect(wasm).toMatchObject({ name: 'wasm', convGradients: 'headstart-wasm', tfjsBackend: 'wasm' });
  });

  it('everything resolves one tfjs-core copy, and the ESM and CJS entry share the engine', () => {
    expect(tfjsCoreResolutions().every((r) => r.path !== null)).toBe(true);
    expect(tfjsCoreCopies()).toHaveLength(1);
    const cjs = createRequire(import.meta.url)('@tensorflow/tfjs-core') as typeof tf;
    expect(cjs.engine()).toBe(tf.engine());
    expect(cjs.Tensor).toBe(tf.Tensor);
  });
});
