// Worker-thread entry (plain JS, no TypeScript loader): the second half of FastAdam's large
// weights. Shared memory only (see adam.ts, AdamHelper): `ctrl` [0] the step asked, [1] the step
// done, [2] 1 to quit; `scalars` the step's Adam scalars; `parts` [w, m, s, g] Float32Array views
// per weight. The thread sleeps in Atomics.wait between steps.
import { workerData } from 'node:worker_threads';
import { adamUpdate } from './adam-kernel.mjs';

const ctrl = new Int32Array(workerData.ctrl);
const scalars = new Float64Array(workerData.scalars);
const parts = workerData.parts;
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, 0, seen);
  if (Atomics.load(ctrl, 2) === 1) break;
  seen = Atomics.load(ctrl, 0);
  const [b1, b2, eps, lr, c1, c2] = scalars;
  for (const [w, m, s, g] of parts) adamUpdate(w, m, s, g, { b1, b2, eps, lr, c1, c2 });
  Atomics.store(ctrl, 1, seen);
  Atomics.notify(ctrl, 1);
}
