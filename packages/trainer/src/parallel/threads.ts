/** How many step workers training starts: the one place the threads default is resolved. */
import { availableParallelism } from 'node:os';
import type { BackendName } from '../backend/select-backend.ts';

/**
 * Default of `TrainOptions.threads`: 1 for now. Each phase that uses step workers pays their
 * start-up (several seconds on a loaded 2-core machine), which the test suite's tiny runs cannot
 * afford; 'auto' (one per core) is opt-in until that is budgeted.
 */
export const DEFAULT_THREADS: number | 'auto' = 1;

/**
 * Step workers for `threads` on `backend`: threads − 1 on wasm/cpu (the main thread takes one
 * share), none on tfjs-node, whose kernels use every core already.
 */
export function stepWorkers(backend: BackendName, threads: number | 'auto' = DEFAULT_THREADS): { parallel?: { workers: number; backend: BackendName } } {
  if (backend !== 'wasm' && backend !== 'cpu') return {};
  const n = threads === 'auto' ? availableParallelism() : Math.max(1, Math.floor(threads));
  return n > 1 ? { parallel: { workers: n - 1, backend } } : {};
}
