import { randomUUID } from 'node:crypto';
import express from 'express';
import helmet from 'helmet';
import { pino, type Logger } from 'pino';
import { HeadstartError } from '@headstart/core';
import { resolveConfig, type ApiConfig, type ApiConfigInput } from './config.ts';
import type { AppContext } from './context.ts';
import { DecodeGate } from './decode-gate.ts';
import { errorMiddleware, notFound } from './http-errors.ts';
import { JsonTensorParser } from './json-parser.ts';
import { createMetrics } from './metrics.ts';
import { OPENAPI_V1 } from './openapi.ts';
import { ModelRegistry } from './registry.ts';
import { v1Router } from './routes/v1.ts';
import { v2Router } from './routes/v2.ts';
import { apiKeyAuth, cors, hostAllowList } from './security.ts';
import { webStatic } from './static.ts';

/** What {@link createApp} is built from: the parsed settings and a registry built from them. */
export interface AppDeps {
  config: ApiConfig;
  registry: ModelRegistry;
  logger?: Logger;
}

/** The Express app plus its registry and lifecycle hooks. */
export type HeadstartApp = express.Express & {
  registry: ModelRegistry;
  config: ApiConfig;
  /** Resolves once the registry's first scan is done. */
  ready: Promise<void>;
  /** Refuses new requests (503) from now on. */
  drain(): void;
  /** Stops polling and disposes sessions after in-flight requests finish. */
  close(): Promise<void>;
};

const REQ_ID_RE = /^[A-Za-z0-9._-]{1,128}$/;

/** The serving registry for a parsed config (it starts scanning at once). */
export function createRegistry(config: ApiConfig, logger: Logger = pino({ level: 'silent' })): ModelRegistry {
  return new ModelRegistry({
    dir: config.modelsDir,
    classifier: { provider: config.provider, worker: config.inferenceWorker, ...(config.threads === undefined ? {} : { threads: config.threads }), maxPixels: config.maxPixels },
    batching: { maxBatch: config.maxBatch, maxDelayMs: config.maxDelayMs, queueSize: config.queueSize },
    pollMs: config.pollMs,
    watch: config.watch,
    log: (level, msg, extra) => logger[level]({ ...extra }, msg),
  });
}

/** Content-Security-Policy of the page: its own scripts and wasm, nothing from elsewhere. */
const CSP = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
    workerSrc: ["'self'", 'blob:'],
    connectSrc: ["'self'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    styleSrc: ["'self'", "'unsafe-inline'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    frameAncestors: ["'none'"],
    formAction: ["'self'"],
  },
};

/**
 * Builds the prediction API (v1 + Open Inference Protocol v2, metrics, OpenAPI, the web page)
 * from a parsed config and a registry.
 * @example
 *   const config = resolveConfig({ modelsDir: 'models' });
 *   const app = createApp({ config, registry: createRegistry(config) });
 */
export function createApp(deps: AppDeps): HeadstartApp {
  const { config, registry } = deps;
  const logger = deps.logger ?? pino({ level: 'silent' });
  const metrics = createMetrics(({ modelsLoaded, queueDepth }) => {
    let n = 0;
    queueDepth.reset();
    for (const name of registry.names()) {
      n += registry.versions(name).length;
      queueDepth.set({ model: name }, registry.get(name).batcher.depth);
    }
    modelsLoaded.set(n);
  });
  registry.onBatch((model, size) => metrics.batchSize.observe({ model }, size));
  const ctx: AppContext = {
    registry,
    metrics,
    logger,
    draining: { value: false },
    decodeGate: new DecodeGate({ pixelBudget: config.decodePixelBudget, concurrency: config.decodeConcurrency, queueSize: config.queueSize }),
    jsonParser: new JsonTensorParser(),
    limits: { maxBatch: config.maxBatch, deadlineMs: config.deadlineMs, bodyLimitBytes: config.bodyLimitBytes, jsonLimitBytes: config.jsonLimitBytes, maxPixels: config.maxPixels },
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
  app.use(helmet({ contentSecurityPolicy: CSP, strictTransportSecurity: false, crossOriginResourcePolicy: { policy: 'same-origin' } }));
  app.use(hostAllowList(config.host, config.allowedHosts));
  app.use((req, _res, next) => {
    // Image routes and v2 JSON enforce their own limits while reading; routes that read no body take at most 1 KiB.
    const declared = Number(req.headers['content-length'] ?? 0);
    const limit = req.method !== 'POST' ? 1024 : req.path.startsWith('/v2/') ? Number.POSITIVE_INFINITY : config.bodyLimitBytes;
    if (declared > limit) next(new HeadstartError('PAYLOAD_TOO_LARGE', `request body of ${declared} bytes is over the ${limit}-byte limit for ${req.method} requests`));
    else next();
  });
  app.use(cors(config.corsOrigins));

  const auth = apiKeyAuth(config.apiKey, config.authFailureLimit);
  app.get('/v2/health/live', (_req, res) => void res.status(ctx.draining.value ? 400 : 200).end());
  app.get('/v2/health/ready', (_req, res) => void res.status(registry.loaded && !ctx.draining.value ? 200 : 400).end());
  app.get('/openapi.json', (_req, res) => void res.json(OPENAPI_V1));
  app.get('/metrics', auth, async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use('/v1', auth, v1Router(ctx));
  app.use('/v2', auth, v2Router(ctx));
  if (config.webRoot !== undefined) app.use('/', webStatic(config.webRoot));
  app.use(notFound);
  app.use(errorMiddleware((err, reqId) => logger.error({ reqId, err }, 'request failed')));

  app.registry = registry;
  app.config = config;
  app.ready = registry.ready;
  app.drain = () => {
    ctx.draining.value = true;
  };
  app.close = async () => {
    ctx.draining.value = true;
    await registry.close();
    await ctx.jsonParser.close();
  };
  return app;
}

/** Settings (as {@link resolveConfig} takes them) → a registry and the app on it: the one-call way to embed the API. */
export function buildApp(input: Partial<ApiConfigInput> & { modelsDir: string }, logger?: Logger): HeadstartApp {
  const config = resolveConfig(input);
  return createApp({ config, registry: createRegistry(config, logger), ...(logger === undefined ? {} : { logger }) });
}
