import { Job, Queue } from 'bullmq';
import { HeadstartError } from '@headstart/core';
import { openRedis, QUEUE_NAME, redisLost } from './connection.ts';

/** One chunk job to run on the workers: a stable id (same work ⇒ same id) and its payload. */
export interface ChunkSpec<D> {
  id: string;
  kind: string;
  data: D;
}

/** Options of {@link runChunks}. */
export interface RunChunksOptions<D, R> {
  url: string;
  chunks: readonly ChunkSpec<D>[];
  /** Called once per finished chunk, in completion order, with the worker's result. */
  onResult: (chunk: ChunkSpec<D>, result: R) => Promise<void> | void;
  /** Attempts per chunk when a worker's processor throws (default 3). Stalled chunks are retried besides. */
  attempts?: number;
  /** How often the producer looks for finished chunks (default 200 ms). */
  pollMs?: number;
  /** Fail after Redis has been unreachable this long (default 5 s). */
  giveUpAfterMs?: number;
  /** Added to the error message when Redis is lost (how to resume). */
  resumeHint?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Enqueues chunk jobs (idempotent: a job id already in the queue is not added twice, so a re-run
 * picks up finished chunks), then gathers every result exactly once and removes the job after
 * `onResult` resolved. Rejects with UNAVAILABLE when Redis goes away, INFERENCE_FAILED when a chunk
 * fails on every attempt.
 */
export async function runChunks<D, R>(opts: RunChunksOptions<D, R>): Promise<void> {
  const hint = opts.resumeHint ?? 'run the same command again to resume';
  let lastError: Error | undefined;
  const redis = openRedis(opts.url, { giveUpAfterMs: opts.giveUpAfterMs ?? 5000, onError: (e) => (lastError = e) });
  const queue = new Queue(QUEUE_NAME, { connection: redis });
  queue.on('error', (e) => (lastError = e));
  const byId = new Map(opts.chunks.map((c) => [c.id, c]));
  const guard = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (e) {
      if (redis.status === 'end' || redis.status === 'close' || redis.status === 'reconnecting') throw redisLost(opts.url, lastError ?? e, hint);
      throw e;
    }
  };
  try {
    await guard(
      queue.addBulk(
        opts.chunks.map((c) => ({
          name: c.kind,
          data: c.data,
          opts: { jobId: c.id, attempts: opts.attempts ?? 3, backoff: { type: 'fixed', delay: 500 }, removeOnComplete: false, removeOnFail: false },
        })),
      ),
    );
    const pending = new Set(byId.keys());
    while (pending.size > 0) {
      if (redis.status === 'end') throw redisLost(opts.url, lastError ?? new Error('connection closed'), hint);
      const ids = [...pending];
      const states = await guard(Promise.all(ids.map((id) => queue.getJobState(id))));
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i] as string;
        const state = states[i];
        if (state === 'completed') {
          const job = await guard(Job.fromId<D, R>(queue, id));
          if (job === undefined) continue;
          await opts.onResult(byId.get(id) as ChunkSpec<D>, job.returnvalue);
          pending.delete(id);
          await guard(job.remove());
        } else if (state === 'failed') {
          const job = await guard(Job.fromId<D, R>(queue, id));
          const reason = job?.failedReason ?? 'unknown reason';
          await guard(queue.remove(id));
          throw new HeadstartError('INFERENCE_FAILED', `chunk ${id} failed on every attempt: ${reason}; fix the cause and run the same command again to resume`);
        } else if (state === 'unknown') {
          throw new HeadstartError('UNAVAILABLE', `chunk ${id} vanished from Redis at ${opts.url} (was Redis flushed or restarted without persistence?); ${hint}`);
        }
      }
      if (pending.size > 0) await sleep(opts.pollMs ?? 200);
    }
  } finally {
    await queue.close().catch(() => undefined);
    redis.disconnect();
  }
}
