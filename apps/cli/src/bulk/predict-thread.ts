/** One bulk-predict thread: a single-threaded classifier that reads, decodes and classifies the chunks it is sent (protocol: ./thread-pool.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { isHeadstartError } from '@headstart/core';
import { ClassifierCache, processPredictChunk, SINGLE_THREAD } from './predict-chunk.ts';
import type { ThreadRequest, ThreadResponse } from './thread-pool.ts';

const port = parentPort;
if (port === null) throw new Error('predict-thread.ts must run in a worker thread');
const cache = new ClassifierCache(SINGLE_THREAD, (workerData as { provider: 'auto' | 'cuda' | 'cpu' }).provider);
const reply = (m: ThreadResponse): void => port.postMessage(m);

port.on('message', (m: ThreadRequest) => {
  if (m.type === 'close') {
    void cache.dispose().then(() => reply({ type: 'closed' }));
    return;
  }
  // Several chunks may be in flight: one decodes (sharp, on libuv's threads) while another runs.
  processPredictChunk(m.job, cache, SINGLE_THREAD).then(
    (rows) => reply({ type: 'rows', id: m.id, rows }),
    (e: unknown) => reply({ type: 'error', id: m.id, message: e instanceof Error ? e.message : String(e), ...(isHeadstartError(e) ? { code: e.code } : {}) }),
  );
});
