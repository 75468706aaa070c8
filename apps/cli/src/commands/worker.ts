/** `headstart worker --queue redis://…`: process chunk jobs (bulk predict, feature extraction) until SIGTERM/SIGINT. */
import { HeadstartError } from '@headstart/core';
import { EXIT } from '../io.ts';
import { intArg } from '../options/specs.ts';
import { ClassifierCache, parallelismFor, processPredictChunk } from '../bulk/predict-chunk.ts';
import { featureChunks } from '../bulk/feature-chunks.ts';
import { PredictThreads, predictOnThreads } from '../bulk/thread-pool.ts';
import type { RegisterCommand } from './index.ts';

interface Flags {
  queue?: string;
  concurrency?: number;
  threads?: number;
  metricsPort?: number;
  metricsHost?: string;
  lockMs?: number;
  stalledMs?: number;
}

export const registerWorker: RegisterCommand = (program, io, setExit) => {
  program
    .command('worker')
    .description('process chunk jobs from a Redis queue (bulk predict, train --queue feature extraction); logs JSON lines, serves Prometheus metrics')
    .requiredOption('--queue <url>', 'Redis to take jobs from, e.g. redis://127.0.0.1:6379')
    .option('--concurrency <n>', 'chunks processed at once (default 1)', intArg('--concurrency', 1))
    .option('--threads <n>', 'predict chunks: parallel lanes as in local bulk predict; feature chunks: onnxruntime threads (default: every core)', intArg('--threads', 1))
    .option('--metrics-port <port>', 'serve Prometheus metrics on /metrics at this port (0 = any free port)', intArg('--metrics-port', 0))
    .option('--metrics-host <host>', 'address for --metrics-port (default 127.0.0.1)')
    .option('--lock-ms <ms>', "a dead worker's chunk goes back to the queue after this long (default 30000)", intArg('--lock-ms', 100))
    .option('--stalled-ms <ms>', 'how often to look for dead workers\' chunks (default: half of --lock-ms)', intArg('--stalled-ms', 100))
    .addHelpText('after', '\nStops on SIGTERM/SIGINT after finishing its current chunk (exit 0).\n\nExample:\n  headstart worker --queue redis://127.0.0.1:6379 --metrics-port 9464')
    .action(async (flags: Flags) => {
      const { parseRedisUrl, startChunkWorker } = await import('@headstart/queue');
      const url = parseRedisUrl(flags.queue as string);
      const log = (e: Record<string, unknown>): void => {
        io.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), pid: process.pid, ...e })}\n`);
      };
      const parallelism = parallelismFor(flags.threads);
      // More than one thread: a pool of single-threaded lanes (as local bulk predict), not one session's intra-op threads.
      const pool = parallelism.threads > 1 ? new PredictThreads(parallelism.threads) : undefined;
      const cache = new ClassifierCache(parallelism);
      const features = featureChunks(url, parallelism.threads);
      // prom-client loads here, not at start-up: only workers serve metrics.
      const { createWorkerMetrics } = await import('../bulk/worker-metrics.ts');
      const metrics = createWorkerMetrics();
      if (flags.metricsPort !== undefined) {
        const host = flags.metricsHost ?? '127.0.0.1';
        const port = await metrics.listen(flags.metricsPort, host);
        log({ event: 'metrics', url: `http://${host}:${port}/metrics` });
      }
      const worker = await startChunkWorker({
        url,
        ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
        ...(flags.lockMs ? { lockDurationMs: flags.lockMs } : {}),
        ...(flags.stalledMs ? { stalledIntervalMs: flags.stalledMs } : {}),
        onEvent: (e) => {
          log(e);
          if (e.event === 'chunk-done') metrics.chunkDone(e.kind, e.items, e.seconds);
          if (e.event === 'chunk-failed') metrics.chunkFailed(e.kind);
        },
        process: async (kind, data) => {
          if (kind === 'predict') {
            const rows = pool ? await predictOnThreads(pool, data) : await processPredictChunk(data, cache, parallelism);
            return { result: { rows }, items: rows.length };
          }
          if (kind === 'features') return features.process(data);
          throw new HeadstartError('USAGE', `unknown job kind "${kind}": is this worker older than the producer?`);
        },
      });
      const stopped = new Promise<string>((resolve) => {
        process.once('SIGTERM', () => resolve('SIGTERM'));
        process.once('SIGINT', () => resolve('SIGINT'));
      });
      const reason = await stopped;
      await worker.close(reason);
      await cache.dispose();
      await pool?.close();
      await features.dispose();
      await metrics.close();
      setExit(EXIT.ok);
    });
};
