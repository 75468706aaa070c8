import { Redis, type RedisOptions } from 'ioredis';
import { HeadstartError } from '@headstart/core';

/** The BullMQ queue every Headstart producer and worker shares (jobs carry their kind). */
export const QUEUE_NAME = 'headstart-chunks';

/** Checks a `redis://host:port[/db]` URL and returns it normalised. */
export function parseRedisUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new HeadstartError('USAGE', `--queue ${url}: expected redis://host:port`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new HeadstartError('USAGE', `--queue ${url}: expected redis://host:port (or rediss:// for TLS)`);
  return u.toString();
}

/**
 * A Redis connection for BullMQ. `giveUpAfterMs` (producers) stops reconnecting after that long
 * without Redis, so commands fail instead of waiting forever; workers reconnect forever.
 */
export function openRedis(url: string, opts: { giveUpAfterMs?: number; onError?: (e: Error) => void } = {}): Redis {
  const started: { at?: number } = {};
  const options: RedisOptions = {
    maxRetriesPerRequest: null,
    retryStrategy: (times) => {
      if (times === 1) started.at = Date.now();
      if (opts.giveUpAfterMs !== undefined && Date.now() - (started.at ?? Date.now()) > opts.giveUpAfterMs) return null;
      return Math.min(100 * times, 1000);
    },
  };
  const redis = new Redis(parseRedisUrl(url), options);
  redis.on('error', (e: Error) => opts.onError?.(e));
  redis.on('ready', () => {
    started.at = undefined;
  });
  return redis;
}

/** A HeadstartError for a lost Redis, saying what is kept and how to go on. */
export function redisLost(url: string, cause: unknown, resumeHint: string): HeadstartError {
  return new HeadstartError('UNAVAILABLE', `lost the connection to Redis at ${url} (${(cause as Error).message}); ${resumeHint}`, { cause });
}
