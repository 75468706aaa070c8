import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { createApp, type HeadstartApp } from './app.ts';
import type { ApiConfig } from './config.ts';

/** The server's pino logger (JSON lines) at `level`, writing to `destination` (default stdout). */
export function createLogger(level: ApiConfig['logLevel'], destination?: NodeJS.WritableStream): Logger {
  return destination === undefined ? pino({ level }) : pino({ level }, destination as unknown as pino.DestinationStream);
}

/** A listening server and how to stop it. */
export interface RunningServer {
  app: HeadstartApp;
  server: Server;
  url: string;
  /** Graceful stop: refuse new requests, finish in-flight ones, close sessions. */
  close(): Promise<void>;
}

/** Builds the app from a parsed config, waits for the models, and listens (with header/request timeouts). */
export async function startServer(config: ApiConfig, logger: Logger = pino({ level: config.logLevel })): Promise<RunningServer> {
  const app = createApp({
    registryDir: config.modelsDir,
    logger,
    maxBatch: config.maxBatch,
    maxDelayMs: config.maxDelayMs,
    queueSize: config.queueSize,
    deadlineMs: config.deadlineMs,
    bodyLimitBytes: config.bodyLimitBytes,
    jsonLimitBytes: config.jsonLimitBytes,
    maxPixels: config.maxPixels,
    ...(config.apiKey === undefined ? {} : { apiKey: config.apiKey }),
    corsOrigins: config.corsOrigins,
    ...(config.webRoot === undefined ? {} : { webRoot: config.webRoot }),
    provider: config.provider,
    ...(config.threads === undefined ? {} : { threads: config.threads }),
    pollMs: config.pollMs,
    watch: config.watch,
    inferenceWorker: config.inferenceWorker,
  });
  await app.ready;
  // Slow clients: headers must arrive within headersTimeoutMs and the whole request within
  // requestTimeoutMs (408 and close); checked every second rather than Node's default 30 s.
  const server = createServer(
    {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      keepAliveTimeout: 5_000,
      connectionsCheckingInterval: 1_000,
      maxHeaderSize: 16 * 1024,
    },
    app,
  );
  server.listen(config.port, config.host);
  await once(server, 'listening');
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  logger.info({ url, models: app.registry.names() }, 'headstart API listening');
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      app.drain();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), config.requestTimeoutMs);
      await closed;
      clearTimeout(timer);
      await app.close();
      logger.info('headstart API stopped');
    })();
    return closing;
  };
  return { app, server, url, close };
}
