/**
 * Local bulk prediction on every core: one lane per core, each an onnxruntime session with one
 * intra-op thread in a worker thread of its own (inference's plain-JS session worker: it starts in
 * a fraction of a second, where a worker running this package's TypeScript paid about a second of
 * CPU for the TypeScript loader and module loading). This thread reads and decodes (sharp, on
 * libuv's pool), resizes, hands out chunks and writes rows; a lane's session runs one batch while
 * this thread prepares the next. Sessions never wait on each other (no intra-op barrier, which a
 * busy machine turns into spinning).
 */
import { BULK_DEFAULTS, PredictChunkJobSchema, type ModelRef, type PredictChunkJob, type PredictionRow } from '@headstart/core';
import type { Classifier } from '@headstart/inference/node';
import { predictJobs, processPredictChunk, SINGLE_THREAD } from './predict-chunk.ts';

/** Chunks kept in flight per lane: one's batch decoding while another's runs, across chunk ends too. */
const IN_FLIGHT = 2;

/** A pool of bulk-predict lanes: `threads` single-threaded onnxruntime sessions, each in its own worker thread. */
export class PredictThreads {
  private readonly busy: number[];
  private readonly waiting: (() => void)[] = [];
  /** Per model hash: one classifier per lane. */
  private readonly open = new Map<string, Promise<Classifier[]>>();
  private closed = false;

  /** `threads` lanes; their sessions open on the first chunk of a model (or on {@link warm}), on `provider`. */
  constructor(
    threads: number,
    private readonly provider: 'auto' | 'cuda' | 'cpu' = 'auto',
  ) {
    this.busy = Array.from({ length: Math.max(1, Math.floor(threads)) }, () => 0);
  }

  /** Starts opening every lane's session for `ref` now (a failure surfaces on the first chunk). */
  warm(ref: ModelRef): void {
    this.classifiers(ref).catch(() => undefined);
  }

  /**
   * Classifies one chunk on the least busy lane, waiting while every lane has its fill; a chunk
   * still waiting when `signal` aborts or the pool closes is not started (it rejects).
   */
  async run(job: PredictChunkJob, signal?: AbortSignal): Promise<PredictionRow[]> {
    let lane = this.idlest();
    while (!this.closed && (this.busy[lane] as number) >= IN_FLIGHT) {
      await new Promise<void>((r) => this.waiting.push(r));
      lane = this.idlest();
    }
    if (this.closed || signal?.aborted) {
      this.waiting.shift()?.(); // the free lane goes to the next waiting chunk
      throw signal?.aborted ? signal.reason : new Error('the bulk-predict lanes are closed');
    }
    this.busy[lane] = (this.busy[lane] as number) + 1;
    try {
      return await processPredictChunk(job, { get: async (ref) => (await this.classifiers(ref))[lane] as Classifier }, SINGLE_THREAD);
    } finally {
      this.busy[lane] = (this.busy[lane] as number) - 1;
      this.waiting.shift()?.();
    }
  }

  private idlest(): number {
    return this.busy.reduce((best, b, i) => (b < (this.busy[best] as number) ? i : best), 0);
  }

  /** The lanes' classifiers for `ref`: the model read and hash-checked once, a worker-thread session per lane. */
  private classifiers(ref: ModelRef): Promise<Classifier[]> {
    if (this.closed) return Promise.reject(new Error('the bulk-predict lanes are closed'));
    let c = this.open.get(ref.sha256);
    if (c === undefined) {
      c = (async () => {
        const { createClassifier, loadModelBytes } = await import('@headstart/inference/node');
        const { bytes } = await loadModelBytes(ref.source, ref.sha256);
        const opened = await Promise.allSettled(this.busy.map(() => createClassifier(bytes, { threads: SINGLE_THREAD.threads, provider: this.provider, worker: true })));
        const ok = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        const failed = opened.find((r) => r.status === 'rejected');
        if (failed) {
          await Promise.all(ok.map((clf) => clf.dispose().catch(() => undefined)));
          throw failed.reason;
        }
        return ok;
      })();
      c.catch(() => this.open.delete(ref.sha256));
      this.open.set(ref.sha256, c);
    }
    return c;
  }

  /** Releases the sessions and stops their threads. */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake();
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map(async (c) => Promise.all((await c.catch(() => [])).map((clf) => clf.dispose().catch(() => undefined)))));
  }
}

/**
 * Runs `jobs` on the pool and hands each chunk's rows to `write` in job order (so `--out` grows in
 * the same order as a single-threaded run), as soon as every earlier chunk is written. The first
 * failure rejects, and chunks not started by then never start.
 */
export async function runOnThreads(pool: PredictThreads, jobs: readonly PredictChunkJob[], write: (rows: PredictionRow[]) => Promise<void>): Promise<void> {
  const stop = new AbortController();
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
      try {
        done.set(i, await pool.run(job, stop.signal));
        await flush();
      } catch (e) {
        stop.abort(e);
        throw e;
      }
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
