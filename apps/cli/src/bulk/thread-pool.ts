/**
 * Local bulk prediction on every core: one lane per core (a worker thread each; this thread hands out chunks), each
 * with its own single-threaded onnxruntime session, reading, decoding and classifying whole chunks. Threads
 * never wait on each other (no intra-op barrier, which a busy machine turns into spinning), and
 * decoding runs in parallel with inference instead of on the one main thread.
 */
import { Worker } from 'node:worker_threads';
import { BULK_DEFAULTS, HeadstartError, PredictChunkJobSchema, type HeadstartErrorCode, type PredictChunkJob, type PredictionRow } from '@headstart/core';
import { predictJobs } from './predict-chunk.ts';

/** Main thread → bulk-predict thread. */
export type ThreadRequest = { type: 'run'; id: number; job: PredictChunkJob } | { type: 'close' };
/** Bulk-predict thread → main thread. */
export type ThreadResponse = { type: 'rows'; id: number; rows: PredictionRow[] } | { type: 'error'; id: number; message: string; code?: string } | { type: 'closed' };

/** Somewhere chunks run: a worker thread, or this thread. */
interface Lane {
  busy: number;
  run(job: PredictChunkJob): Promise<PredictionRow[]>;
  close(): Promise<void>;
}

/** Chunks kept in flight per lane: one decoding while another runs. */
const IN_FLIGHT = 2;

function threadLane(provider: 'auto' | 'cuda' | 'cpu'): Lane {
  const worker = new Worker(new URL('./predict-thread.mjs', import.meta.url), { workerData: { provider } });
  const pending = new Map<number, { resolve: (rows: PredictionRow[]) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let onClosed: (() => void) | undefined;
  worker.on('message', (m: ThreadResponse) => {
    if (m.type === 'closed') {
      onClosed?.();
      return;
    }
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.type === 'rows') p.resolve(m.rows);
    else p.reject(m.code ? new HeadstartError(m.code as HeadstartErrorCode, m.message) : new Error(m.message));
  });
  const fail = (e: Error): void => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`bulk-predict thread exited (code ${code})`)));
  return {
    busy: 0,
    run(job) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ type: 'run', id, job } satisfies ThreadRequest);
      });
    },
    async close() {
      const closed = new Promise<void>((r) => (onClosed = r));
      worker.postMessage({ type: 'close' } satisfies ThreadRequest);
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2000).unref())]);
      await worker.terminate();
    },
  };
}

/**
 * A pool of bulk-predict lanes: `threads` worker threads. This thread only hands out chunks and
 * writes rows: onnxruntime-node runs a session synchronously on its caller, so a lane here would
 * stall the hand-out to the others while it classifies.
 */
export class PredictThreads {
  private readonly lanes: Lane[] = [];
  private readonly waiting: (() => void)[] = [];

  /** Starts `threads` worker threads; each lane loads the model on its first chunk, on `provider`. */
  constructor(threads: number, provider: 'auto' | 'cuda' | 'cpu' = 'auto') {
    for (let i = 0; i < threads; i++) this.lanes.push(threadLane(provider));
  }

  /** Classifies one chunk on the least busy lane, waiting while every lane has its fill. */
  async run(job: PredictChunkJob): Promise<PredictionRow[]> {
    let lane = this.idlest();
    while (lane.busy >= IN_FLIGHT) {
      await new Promise<void>((r) => this.waiting.push(r));
      lane = this.idlest();
    }
    lane.busy++;
    try {
      return await lane.run(job);
    } finally {
      lane.busy--;
      this.waiting.shift()?.();
    }
  }

  private idlest(): Lane {
    return this.lanes.reduce((a, b) => (b.busy < a.busy ? b : a));
  }

  /** Releases the sessions and stops the threads. */
  async close(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.close()));
  }
}

/**
 * Runs `jobs` on the pool and hands each chunk's rows to `write` in job order (so `--out` grows in
 * the same order as a single-threaded run), as soon as every earlier chunk is written.
 */
export async function runOnThreads(pool: PredictThreads, jobs: readonly PredictChunkJob[], write: (rows: PredictionRow[]) => Promise<void>): Promise<void> {
  const done = new Map<number, PredictionRow[]>();
  let next = 0;
  let flushing = Promise.resolve();
  const flush = (): Promise<void> =>
    (flushing = flushing.then(async () => {
      while (done.has(next)) {
        const rows = done.get(next) as PredictionRow[];
        done.delete(next);
        next++;
        await write(rows);
      }
    }));
  await Promise.all(
    jobs.map(async (job, i) => {
      done.set(i, await pool.run(job));
      await flush();
    }),
  );
  await flushing;
}

/** Classifies one queue chunk job (validated) on the pool, in threadChunkSize parts; rows in the job's file order. */
export async function predictOnThreads(pool: PredictThreads, data: unknown): Promise<PredictionRow[]> {
  const job = PredictChunkJobSchema.parse(data);
  const rows: PredictionRow[] = [];
  await runOnThreads(pool, predictJobs(job.model, job.topK, job.files, BULK_DEFAULTS.threadChunkSize), async (r) => {
    rows.push(...r);
  });
  return rows;
}
