// Worker-thread entry (plain JS, no TypeScript loader): FastAdam's second half of the update. Shared
// memory only (see adam.ts, AdamHelper): `ctrl` [0] the step asked, [1] the step done, [2] 1 to quit;
// `scalars` the step's eight Adam scalars; `memory` the shared WebAssembly memory holding this
// thread's part of the weights, moments and gradients; `parts` [w, m, s, g, n] per weight (byte
// offsets, values). The thread sleeps in Atomics.wait between steps.
import { workerData } from 'node:worker_threads';
import { adamKernel } from './adam-kernel.mjs';

const ctrl = new Int32Array(workerData.ctrl);
const scalars = new Float64Array(workerData.scalars);
const parts = workerData.parts;
const adam = adamKernel(workerData.memory);
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, 0, seen);
  if (Atomics.load(ctrl, 2) === 1) break;
  seen = Atomics.load(ctrl, 0);
  const [b1, a1, b2, a2, c1, c2, eps, nlr] = scalars;
  for (const [w, m, s, g, n] of parts) adam(w, m, s, g, n, { b1, a1, b2, a2, c1, c2, eps, nlr });
  Atomics.store(ctrl, 1, seen);
  Atomics.notify(ctrl, 1);
}
