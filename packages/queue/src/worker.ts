import { Worker, type Job } from 'bullmq';
import { openRedis, QUEUE_NAME } from './connection.ts';

/** What a chunk worker reports, for logs and metrics. */
export type ChunkWorkerEvent =
  | { event: 'ready'; queue: string }
  | { event: 'chunk-start'; job: string; kind: string; attempt: number }
  | { event: 'chunk-done'; job: string; kind: string; seconds: number; items: number }
  | { event: 'chunk-failed'; job: string; kind: string; error: string }
  | { event: 'chunk-stalled'; job: string }
  | { event: 'redis-error'; error: string }
  | { event: 'closing'; reason: string }
  | { event: 'closed' };

/** Processes one chunk: its kind and payload in, a JSON-serialisable result out (with how many items it held). */
export type ChunkProcessor = (kind: string, data: unknown, job: { id: string; attempt: number }) => Promise<{ result: unknown; items: number }>;

/** Options of {@link startChunkWorker}. */
export interface ChunkWorkerOptions {
  url: string;
  process: ChunkProcessor;
  onEvent: (e: ChunkWorkerEvent) => void;
  /** Chunks processed at once by this worker (default 1). */
  concurrency?: number;
  /** How long a chunk's lock lives without renewal; a dead worker's chunk is retried after it (default 30 s). */
  lockDurationMs?: number;
  /** How often stalled chunks are looked for (default 15 s). */
  stalledIntervalMs?: number;
  /** On close, wait this long for the chunk in flight before forcing (default 60 s). */
  closeTimeoutMs?: number;
}

/** A running chunk worker. */
export interface ChunkWorker {
  /** Stops taking chunks, lets the current ones finish, and disconnects. */
  close(reason: string): Promise<void>;
}

/**
 * Starts a BullMQ worker on the Headstart chunk queue. Dead workers' chunks come back through
 * BullMQ's stalled-job check; a worker reconnects to Redis forever.
 * @example const w = await startChunkWorker({ url, process, onEvent: (e) => log(e) }); await w.close('SIGTERM');
 */
export async function startChunkWorker(opts: ChunkWorkerOptions): Promise<ChunkWorker> {
  const redis = openRedis(opts.url, { onError: (e) => opts.onEvent({ event: 'redis-error', error: e.message }) });
  const lockDuration = opts.lockDurationMs ?? 30_000;
  const worker = new Worker(
    QUEUE_NAME,
    async (job: Job) => {
      const id = job.id ?? '?';
      const attempt = job.attemptsMade + 1;
      opts.onEvent({ event: 'chunk-start', job: id, kind: job.name, attempt });
      const t0 = performance.now();
      const { result, items } = await opts.process(job.name, job.data, { id, attempt });
      opts.onEvent({ event: 'chunk-done', job: id, kind: job.name, seconds: (performance.now() - t0) / 1000, items });
      return result;
    },
    {
      connection: redis,
      concurrency: opts.concurrency ?? 1,
      lockDuration,
      stalledInterval: opts.stalledIntervalMs ?? Math.max(1000, Math.floor(lockDuration / 2)),
      maxStalledCount: 5,
      autorun: true,
    },
  );
  worker.on('failed', (job, err) => opts.onEvent({ event: 'chunk-failed', job: job?.id ?? '?', kind: job?.name ?? '?', error: err.message }));
  worker.on('stalled', (id) => opts.onEvent({ event: 'chunk-stalled', job: id }));
  worker.on('error', (e) => opts.onEvent({ event: 'redis-error', error: e.message }));
  await worker.waitUntilReady();
  opts.onEvent({ event: 'ready', queue: QUEUE_NAME });
  return {
    async close(reason) {
      opts.onEvent({ event: 'closing', reason });
      // Finish the chunk in flight; if Redis is gone (nothing can be released), stop after closeTimeoutMs anyway.
      const graceful = worker.close().then(() => true);
      const timeout = new Promise<boolean>((r) => setTimeout(() => r(false), opts.closeTimeoutMs ?? 60_000).unref());
      if (!(await Promise.race([graceful, timeout]))) {
        opts.onEvent({ event: 'redis-error', error: `could not close cleanly within ${opts.closeTimeoutMs ?? 60_000} ms; forcing` });
        await worker.close(true).catch(() => undefined);
      }
      redis.disconnect();
      opts.onEvent({ event: 'closed' });
    },
  };
}
