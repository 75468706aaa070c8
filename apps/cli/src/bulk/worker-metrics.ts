/** Prometheus metrics of `headstart worker` (prom-client, as the API uses), served on /metrics. */
import { createServer, type Server } from 'node:http';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The worker's counters and the HTTP server exposing them. */
export interface WorkerMetrics {
  chunkDone(kind: string, items: number, seconds: number): void;
  chunkFailed(kind: string): void;
  /** Starts serving /metrics on `port` (0 = any free port); resolves to the bound port. */
  listen(port: number, host: string): Promise<number>;
  close(): Promise<void>;
}

/** Creates the worker's registry: jobs done/failed by kind, items (images) processed, chunk seconds. */
export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'headstart_worker_' });
  const jobs = new Counter({ name: 'headstart_worker_jobs_total', help: 'Chunk jobs finished, by kind and status', labelNames: ['kind', 'status'], registers: [registry] });
  const items = new Counter({ name: 'headstart_worker_images_total', help: 'Images processed (rate() gives images/s)', labelNames: ['kind'], registers: [registry] });
  const seconds = new Histogram({
    name: 'headstart_worker_chunk_seconds',
    help: 'Seconds per chunk job',
    labelNames: ['kind'],
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  let server: Server | undefined;
  return {
    chunkDone(kind, n, s) {
      jobs.inc({ kind, status: 'done' });
      items.inc({ kind }, n);
      seconds.observe({ kind }, s);
    },
    chunkFailed(kind) {
      jobs.inc({ kind, status: 'failed' });
    },
    listen(port, host) {
      server = createServer((req, res) => {
        if (req.url !== '/metrics') {
          res.writeHead(404).end();
          return;
        }
        registry.metrics().then(
          (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
          (e: Error) => res.writeHead(500).end(e.message),
        );
      });
      const s = server;
      return new Promise((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, host, () => {
          const a = s.address();
          resolve(typeof a === 'object' && a ? a.port : port);
        });
      });
    },
    async close() {
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    },
  };
}
