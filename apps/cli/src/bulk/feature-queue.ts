/** `train --queue`: the trainer's FeatureQueue port on @headstart/queue (prefix bytes in Redis by hash, chunk jobs on BullMQ). */
import type { FeatureJob, FeatureQueue } from '../ports.ts';

/** A FeatureQueue on the Redis at `url`; `resumeHint` ends the error a lost Redis gives (how to resume). */
export async function featureQueue(url: string, resumeHint: string): Promise<FeatureQueue> {
  const { openBlobStore, parseRedisUrl, runChunks } = await import('@headstart/queue');
  const redisUrl = parseRedisUrl(url);
  return {
    async publish(bytes) {
      const store = openBlobStore(redisUrl, { giveUpAfterMs: 5000, resumeHint });
      try {
        return await store.put(bytes);
      } finally {
        store.close();
      }
    },
    async run(jobs, onResult) {
      const byId = new Map<string, FeatureJob>(jobs.map((j) => [j.id, j]));
      await runChunks({
        url: redisUrl,
        chunks: jobs.map((j) => ({ id: j.id, kind: 'features', data: j.data })),
        onResult: (c, result) => onResult(byId.get(c.id) as FeatureJob, result),
        resumeHint,
      });
    },
  };
}
