import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one app instance (own registry, so several apps can live in one process). */
export interface ApiMetrics {
  registry: Registry;
  requests: Counter<'route' | 'method' | 'status'>;
  requestSeconds: Histogram<'route'>;
  stageSeconds: Histogram<'stage' | 'model'>;
  batchSize: Histogram<'model'>;
  modelsLoaded: Gauge;
  queueDepth: Gauge<'model'>;
}

const STAGE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Creates the metric set; `collect` refreshes gauges that are read on scrape. */
export function createMetrics(collect: (m: { modelsLoaded: Gauge; queueDepth: Gauge<'model'> }) => void): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'headstart_' });
  const requests = new Counter({ name: 'headstart_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'method', 'status'] as const, registers: [registry] });
  const requestSeconds = new Histogram({ name: 'headstart_http_request_duration_seconds', help: 'HTTP request latency', labelNames: ['route'] as const, buckets: STAGE_BUCKETS, registers: [registry] });
  const stageSeconds = new Histogram({ name: 'headstart_prediction_stage_seconds', help: 'Prediction latency split by stage (queue, decode, inference)', labelNames: ['stage', 'model'] as const, buckets: STAGE_BUCKETS, registers: [registry] });
  const batchSize = new Histogram({ name: 'headstart_batch_size', help: 'Images per inference call', labelNames: ['model'] as const, buckets: [1, 2, 4, 8, 16, 32, 64, 128], registers: [registry] });
  const queueDepth = new Gauge({ name: 'headstart_queue_depth', help: 'Images waiting per model', labelNames: ['model'] as const, registers: [registry] });
  const modelsLoaded: Gauge = new Gauge({
    name: 'headstart_models_loaded',
    help: 'Model versions loaded',
    registers: [registry],
    collect() {
      collect({ modelsLoaded, queueDepth });
    },
  });
  return { registry, requests, requestSeconds, stageSeconds, batchSize, modelsLoaded, queueDepth };
}
