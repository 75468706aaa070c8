import { randomUUID } from 'node:crypto';
import express from 'express';
import { pino, type Logger } from 'pino';
import { HeadstartError } from '@headstart/core';
import type { NodeProvider } from '@headstart/inference/node';
import type { AppContext } from './context.ts';
import { errorMiddleware, notFound } from './http-errors.ts';
import { createMetrics } from './metrics.ts';
import { OPENAPI_V1 } from './openapi.ts';
import { ModelRegistry } from './registry.ts';
import { v1Router } from './routes/v1.ts';
import { v2Router } from './routes/v2.ts';
import { apiKeyAuth, cors } from './security.ts';
import { webStatic } from './static.ts';

/** Dependencies and settings of {@link createApp}; everything but registryDir has a default. */
export interface AppDeps {
  registryDir: string;
  logger?: Logger;
  maxBatch?: number;
  maxDelayMs?: number;
  queueSize?: number;
  deadlineMs?: number;
  bodyLimitBytes?: number;
  jsonLimitBytes?: number;
  maxPixels?: number;
  apiKey?: string;
  corsOrigins?: string[];
  webRoot?: string;
  provider?: NodeProvider;
  threads?: number;
  /** Registry poll interval (ms); 0 disables polling. */
  pollMs?: number;
  /** Rescan on file-system events too (default true). */
  watch?: boolean;
  /** Run each model's onnxruntime session in a worker thread so inference never blocks request handling (default true). */
  inferenceWorker?: boolean;
}

/** The Express app plus its registry and lifecycle hooks. */
export type HeadstartApp = express.Express & {
  registry: ModelRegistry;
  /** Resolves once the registry's first scan is done. */
  ready: Promise<void>;
  /** Refuses new requests (503) from now on. */
  drain(): void;
  /** Stops polling and disposes sessions after in-flight requests finish. */
  close(): Promise<void>;
};

const REQ_ID_RE = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Builds the prediction API (v1 + Open Inference Protocol v2, metrics, OpenAPI, optional web page).
 * @example
 *   const app = createApp({ registryDir: 'models' });
 *   await app.ready;
 *   app.listen(8080);
 */
export function createApp(deps: AppDeps): HeadstartApp {
  const logger = deps.logger ?? pino({ level: 'silent' });
  const maxBatch = deps.maxBatch ?? 8;
  const registry = new ModelRegistry({
    dir: deps.registryDir,
    classifier: { provider: deps.provider ?? 'auto', worker: deps.inferenceWorker ?? true, ...(deps.threads === undefined ? {} : { threads: deps.threads }), maxPixels: deps.maxPixels ?? 25_000_000 },
    batching: {
      maxBatch,
      maxDelayMs: deps.maxDelayMs ?? 2,
      queueSize: deps.queueSize ?? 64,
      onBatch: (model, size) => metrics.batchSize.observe({ model }, size),
    },
    pollMs: deps.pollMs ?? 2000,
    watch: deps.watch ?? true,
    log: (level, msg, extra) => logger[level]({ ...extra }, msg),
  });
  const metrics = createMetrics(({ modelsLoaded, queueDepth }) => {
    let n = 0;
    queueDepth.reset();
    for (const name of registry.names()) {
      n += registry.versions(name).length;
      queueDepth.set({ model: name }, registry.get(name).batcher.depth);
    }
    modelsLoaded.set(n);
  });
  const ctx: AppContext = {
    registry,
    metrics,
    logger,
    draining: { value: false },
    limits: {
      maxBatch,
      deadlineMs: deps.deadlineMs ?? 10_000,
      bodyLimitBytes: deps.bodyLimitBytes ?? 10 * 1024 * 1024,
      jsonLimitBytes: deps.jsonLimitBytes ?? 64 * 1024 * 1024,
    },
  };

  const app = express() as HeadstartApp;
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQ_ID_RE.test(given) ? given : randomUUID();
    res.locals.reqId = id;
    res.setHeader('x-request-id', id);
    const started = performance.now();
    res.on('finish', () => {
      const route = req.route === undefined ? 'unmatched' : `${req.baseUrl}${String((req.route as { path: unknown }).path)}`;
      const seconds = (performance.now() - started) / 1000;
      metrics.requests.inc({ route, method: req.method, status: String(res.statusCode) });
      metrics.requestSeconds.observe({ route }, seconds);
      logger.info({ reqId: id, method: req.method, url: req.originalUrl.slice(0, 200), route, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 }, 'request');
    });
    if (ctx.draining.value && !req.path.startsWith('/v2/health')) {
      res.setHeader('Connection', 'close');
      next(new HeadstartError('UNAVAILABLE', 'server is shutting down; retry on another replica'));
      return;
    }
    next();
  });
  app.use((req, _res, next) => {
    // Per-route limits are enforced while reading (image routes, v2 JSON); routes that read no body take at most 1 KiB.
    const declared = Number(req.headers['content-length'] ?? 0);
    const limit = req.method === 'POST' ? Math.max(ctx.limits.bodyLimitBytes, ctx.limits.jsonLimitBytes) : 1024;
    if (declared > limit) next(new HeadstartError('PAYLOAD_TOO_LARGE', `request body of ${declared} bytes is over the ${limit}-byte limit for ${req.method} requests`));
    else next();
  });
  app.use(cors(deps.corsOrigins ?? []));

  const auth = apiKeyAuth(deps.apiKey);
  app.get('/v2/health/live', (_req, res) => void res.status(ctx.draining.value ? 400 : 200).end());
  app.get('/v2/health/ready', (_req, res) => void res.status(registry.loaded && !ctx.draining.value ? 200 : 400).end());
  app.get('/openapi.json', (_req, res) => void res.json(OPENAPI_V1));
  app.get('/metrics', auth, async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use('/v1', auth, v1Router(ctx));
  app.use('/v2', auth, v2Router(ctx));
  if (deps.webRoot !== undefined) app.use('/', webStatic(deps.webRoot));
  app.use(notFound);
  app.use(errorMiddleware((err, reqId) => logger.error({ reqId, err }, 'request failed')));

  app.registry = registry;
  app.ready = registry.ready;
  app.drain = () => {
    ctx.draining.value = true;
  };
  app.close = async () => {
    ctx.draining.value = true;
    await registry.close();
  };
  return app;
}
