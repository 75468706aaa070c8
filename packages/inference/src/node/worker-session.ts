import { Worker } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-node';
import type { WorkerRequest, WorkerResponse } from './worker-protocol.ts';

/** An onnxruntime session living in a worker thread (main-thread side). */
export interface WorkerSession {
  inputNames: string[];
  outputNames: string[];
  /** Last dimension of each output when static, else -1. */
  outputWidths: number[];
  run(input: string, output: string, data: Float32Array, dims: number[]): Promise<Float32Array>;
  release(): Promise<void>;
}

/** Starts a worker thread and creates the session there; rejects with the session's load error. */
export function openWorkerSession(bytes: Uint8Array, options: InferenceSession.SessionOptions): Promise<WorkerSession> {
  // The entry is plain JS, so the worker needs no TypeScript loader whatever launched the process.
  const worker = new Worker(new URL('./session-worker.mjs', import.meta.url));
  const pending = new Map<number, { resolve: (d: Float32Array) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let onReady: ((m: WorkerResponse) => void) | undefined;
  let onReleased: (() => void) | undefined;
  const failAll = (e: Error): void => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  worker.on('message', (m: WorkerResponse) => {
    if (m.type === 'result') {
      pending.get(m.id)?.resolve(m.data);
      pending.delete(m.id);
    } else if (m.type === 'error' && m.id > 0) {
      pending.get(m.id)?.reject(new Error(m.message));
      pending.delete(m.id);
    } else if (m.type === 'released') {
      onReleased?.();
    } else {
      onReady?.(m);
    }
  });
  worker.on('error', (e) => failAll(e));
  worker.on('exit', (code) => failAll(new Error(`inference worker exited (code ${code})`)));
  return new Promise((resolve, reject) => {
    onReady = (m) => {
      if (m.type === 'error') {
        void worker.terminate();
        reject(new Error(m.message));
        return;
      }
      if (m.type !== 'ready') return;
      resolve({
        inputNames: m.inputNames,
        outputNames: m.outputNames,
        outputWidths: m.outputWidths,
        run(input, output, data, dims) {
          return new Promise((res, rej) => {
            const id = nextId++;
            pending.set(id, { resolve: res, reject: rej });
            const copy = data.slice();
            const msg: WorkerRequest = { type: 'run', id, input, output, data: copy, dims };
            worker.postMessage(msg, [copy.buffer]);
          });
        },
        async release() {
          const released = new Promise<void>((r) => (onReleased = r));
          worker.postMessage({ type: 'release' } satisfies WorkerRequest);
          await Promise.race([released, new Promise((r) => setTimeout(r, 2000).unref())]);
          await worker.terminate();
        },
      });
    };
    worker.once('error', reject);
    const init: WorkerRequest = { type: 'init', bytes, options };
    worker.postMessage(init);
  });
}
