/**
 * @headstart/queue — chunk jobs on BullMQ + Redis: producers enqueue idempotent chunks and gather
 * results; workers process them. The job payloads' schemas live in @headstart/core.
 * @example
 *   await runChunks({ url: 'redis://127.0.0.1:6379', chunks, onResult: (c, r) => write(r) });
 */
export * from './blobs.ts';
export * from './connection.ts';
export * from './producer.ts';
export * from './worker.ts';
