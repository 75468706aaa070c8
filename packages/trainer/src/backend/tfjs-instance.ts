import { createRequire } from 'node:module';
import path from 'node:path';

/** Packages that import @tensorflow/tfjs-core and must share one copy of it with Headstart. */
export const TFJS_CORE_CONSUMERS: readonly string[] = [
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-layers',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
  'nsfwjs',
];

/** Where each consumer's `require('@tensorflow/tfjs-core')` lands; one distinct path means one instance. */
export function tfjsCoreResolutions(): { consumer: string; path: string | null }[] {
  const own = createRequire(import.meta.url);
  const out: { consumer: string; path: string | null }[] = [
    { consumer: '@headstart/trainer', path: own.resolve('@tensorflow/tfjs-core') },
  ];
  for (const consumer of TFJS_CORE_CONSUMERS) {
    try {
      const entry = own.resolve(consumer);
      out.push({ consumer, path: createRequire(entry).resolve('@tensorflow/tfjs-core') });
    } catch {
      out.push({ consumer, path: null });
    }
  }
  return out;
}

/** Distinct tfjs-core package directories found by `tfjsCoreResolutions` (should be exactly one). */
export function tfjsCoreCopies(): string[] {
  const dirs = tfjsCoreResolutions()
    .map((r) => r.path)
    .filter((p): p is string => p !== null)
    .map((p) => p.slice(0, p.lastIndexOf(`${path.sep}dist${path.sep}`)));
  return [...new Set(dirs)];
}
