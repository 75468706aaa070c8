import { createHash } from 'node:crypto';
import { HeadstartError } from '@headstart/core';
import { openRedis, redisLost } from './connection.ts';

/** How long a stored blob lives in Redis after its last store (a week: a long training run, then it expires). */
export const BLOB_TTL_SECONDS = 7 * 24 * 3600;

const keyOf = (name: string): string => `headstart:blob:${name}`;

/** Bytes shared with workers through Redis under their `sha256:<hex>` name (the frozen prefixes of `train --queue`). */
export interface BlobStore {
  /** Stores `bytes`; resolves to their name. */
  put(bytes: Uint8Array): Promise<string>;
  /** The bytes stored under `name`, checked against it. */
  get(name: string): Promise<Uint8Array>;
  close(): void;
}

/**
 * Opens a blob store on the Redis at `url`. `giveUpAfterMs` (producers) turns a Redis that stays
 * away into an UNAVAILABLE error instead of waiting forever.
 * @example const s = openBlobStore(url); const name = await s.put(bytes); s.close();
 */
export function openBlobStore(url: string, opts: { giveUpAfterMs?: number; resumeHint?: string } = {}): BlobStore {
  let lastError: Error | undefined;
  const redis = openRedis(url, { ...(opts.giveUpAfterMs !== undefined ? { giveUpAfterMs: opts.giveUpAfterMs } : {}), onError: (e) => (lastError = e) });
  const hint = opts.resumeHint ?? 'start Redis and run the same command again';
  const guard = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (e) {
      throw redisLost(url, lastError ?? e, hint);
    }
  };
  return {
    async put(bytes) {
      const name = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      await guard(redis.set(keyOf(name), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'EX', BLOB_TTL_SECONDS));
      return name;
    },
    async get(name) {
      const b = await guard(redis.getBuffer(keyOf(name)));
      if (b === null) throw new HeadstartError('UNAVAILABLE', `${name} is not in Redis at ${url} (expired after ${BLOB_TTL_SECONDS} s, or Redis was flushed); run the trainer again to store it`);
      const got = `sha256:${createHash('sha256').update(b).digest('hex')}`;
      if (got !== name) throw new HeadstartError('SPEC_MISMATCH', `Redis at ${url} holds bytes hashing to ${got} under ${name}`);
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    },
    close() {
      redis.disconnect();
    },
  };
}
