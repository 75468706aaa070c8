import { Worker } from 'node:worker_threads';
import { HeadstartError } from '@headstart/core';

/** A parsed v2 request: the JSON with `inputs[0].data` emptied, and that tensor's values flattened. */
export interface ParsedTensorRequest {
  request: unknown;
  values: Float64Array;
}

type Reply = { id: number; ok: true; request: unknown; values: Float64Array } | { id: number; ok: false; message: string };

/**
 * Parses v2 JSON bodies in a worker thread, so a large tensor never stalls the event loop
 * (health probes and other requests keep answering). One worker, started on first use;
 * restarted if it dies.
 */
export class JsonTensorParser {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: ParsedTensorRequest) => void; reject: (e: unknown) => void }>();

  /** Parses `body`; rejects USAGE (400) for invalid JSON, deep nesting, non-numbers or more than `maxValues` values. */
  parse(body: Buffer, maxValues: number): Promise<ParsedTensorRequest> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, body, maxValues });
    });
  }

  /** Stops the worker (pending parses reject). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w !== undefined) await w.terminate();
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(new URL('./json-worker.mjs', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: 768 } });
    worker.unref();
    worker.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve({ request: m.request, values: m.values });
      else p.reject(new HeadstartError('USAGE', m.message));
    });
    const fail = (why: string): void => {
      if (this.worker === worker) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(new HeadstartError('UNAVAILABLE', `JSON parser stopped (${why}); retry`));
      this.pending.clear();
    };
    worker.on('error', (e) => fail(e.message));
    worker.on('exit', (code) => fail(`exit ${code}`));
    this.worker = worker;
    return worker;
  }
}
