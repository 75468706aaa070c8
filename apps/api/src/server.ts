import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { HeadstartError } from '@headstart/core';
import { createApp, createRegistry, type HeadstartApp } from './app.ts';
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

function listenOnce(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => {
      server.off('listening', onListening);
      reject(e);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** The first port after `port` that `host` can bind now (for the "try --port N" hint), or undefined. */
export async function nextFreePort(port: number, host: string, tries = 20): Promise<number | undefined> {
  for (let p = port + 1; p <= Math.min(65535, port + tries); p++) {
    const probe = createServer();
    try {
      await listenOnce(probe, p, host);
      await new Promise<void>((r) => probe.close(() => r()));
      return p;
    } catch {
      // taken; try the next one
    }
  }
  return undefined;
}

/** Builds the registry and app from a parsed config, waits for the models, and listens (with header/request timeouts and a connection cap). */
export async function startServer(config: ApiConfig, logger: Logger = pino({ level: config.logLevel })): Promise<RunningServer> {
  const app = createApp({ config, registry: createRegistry(config, logger), logger });
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
  server.maxConnections = config.maxConnections;
  try {
    await listenOnce(server, config.port, config.host);
  } catch (e) {
    await app.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      const free = await nextFreePort(config.port, config.host);
      throw new HeadstartError('UNAVAILABLE', `port ${config.port} is in use; ${free === undefined ? 'pick another with --port' : `try --port ${free}`}`, { details: { port: config.port } });
    }
    if (code === 'EACCES') throw new HeadstartError('UNAVAILABLE', `port ${config.port} on ${config.host} needs privileges; pick a port above 1023 with --port`, { details: { port: config.port } });
    if (code === 'EADDRNOTAVAIL') throw new HeadstartError('USAGE', `address ${config.host} is not on this machine; pick another with --host`);
    throw e;
  }
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
