/**
 * A loopback HTTP server for tests that download: serves in-memory files by path, honours
 * `Range: bytes=N-` (206), records every request, and can misbehave per path: `truncate` (announces
 * the full length, sends half, then drops the connection), `notFound` (404), `slow` (sends in
 * small chunks with a pause between them), `stall` (sends the headers and half the body, then
 * nothing), `noRange` (ignores Range and always sends 200 with the whole body). Also `listen`:
 * any request handler on a loopback port.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the server answers one path. */
export type FixtureMode = 'ok' | 'truncate' | 'notFound' | 'slow' | 'stall' | 'noRange';

/** One request the server saw. */
export interface FixtureRequest {
  path: string;
  range?: string;
  status: number;
  /** Body bytes actually sent. */
  sent: number;
}

/** A running fixture server. */
export interface FixtureServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  origin: string;
  files: Map<string, Uint8Array>;
  modes: Map<string, FixtureMode>;
  requests: FixtureRequest[];
  /** Milliseconds between chunks in `slow` mode. */
  slowDelayMs: number;
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function answer(s: FixtureServer, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  const body = s.files.get(path);
  const mode = s.modes.get(path) ?? 'ok';
  const rec: FixtureRequest = { path, status: 200, sent: 0, ...(req.headers.range ? { range: req.headers.range } : {}) };
  s.requests.push(rec);
  if (!body || mode === 'notFound') {
    rec.status = 404;
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  let start = 0;
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (m && mode !== 'noRange') {
    start = Number(m[1]);
    if (start >= body.byteLength) {
      rec.status = 416;
      res.writeHead(416, { 'content-range': `bytes */${body.byteLength}` }).end();
      return;
    }
    rec.status = 206;
    res.writeHead(206, { 'content-length': body.byteLength - start, 'content-range': `bytes ${start}-${body.byteLength - 1}/${body.byteLength}`, 'accept-ranges': 'bytes' });
  } else {
    res.writeHead(200, { 'content-length': body.byteLength, ...(mode === 'noRange' ? {} : { 'accept-ranges': 'bytes' }) });
  }
  const rest = body.subarray(start);
  if (mode === 'truncate' || mode === 'stall') {
    const half = rest.subarray(0, Math.floor(rest.byteLength / 2));
    res.write(half);
    rec.sent = half.byteLength;
    if (mode === 'truncate') {
      await sleep(20);
      res.socket?.destroy();
    }
    return; // stall: keep the connection open without sending more
  }
  if (mode === 'slow') {
    const step = Math.max(1, Math.ceil(rest.byteLength / 8));
    for (let i = 0; i < rest.byteLength; i += step) {
      res.write(rest.subarray(i, i + step));
      rec.sent += Math.min(step, rest.byteLength - i);
      await sleep(s.slowDelayMs);
    }
    res.end();
    return;
  }
  rec.sent = rest.byteLength;
  res.end(rest);
}

/**
 * Starts a fixture server on 127.0.0.1 and a free port.
 * @example const s = await startFixtureServer({ '/m/model.json': bytes }); … await s.close();
 */
export async function startFixtureServer(files: Record<string, Uint8Array> = {}): Promise<FixtureServer> {
  const sockets = new Set<import('node:net').Socket>();
  const state: FixtureServer = {
    origin: '',
    files: new Map(Object.entries(files)),
    modes: new Map(),
    requests: [],
    slowDelayMs: 30,
    close: async () => {
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = createServer((req, res) => {
    answer(state, req, res).catch(() => res.destroy());
  });
  server.on('connection', (sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

/** A plain HTTP server on 127.0.0.1 (see {@link listen}). */
export interface RunningServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  origin: string;
  /** Closes every connection, then the server. */
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 and a free port with `handler` (a page, an app, a stand-in registry).
 * @example const s = await listen((req, res) => app(req, res)); … await s.close();
 */
export async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<RunningServer> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
