import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HeadstartError } from '@headstart/core';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Optional API key: `Authorization: Bearer <key>` or `x-api-key: <key>`, compared in constant time;
 * a client that sends `failureLimit` wrong keys in a minute is refused (429) for the rest of it.
 */
export function apiKeyAuth(apiKey: string | undefined, failureLimit: number): RequestHandler {
  if (apiKey === undefined) return (_req, _res, next) => next();
  const expected = digest(apiKey);
  const limiter = new AuthFailureLimiter(failureLimit);
  return (req, _res, next) => {
    const client = req.socket.remoteAddress ?? 'unknown';
    limiter.check(client);
    const auth = req.headers.authorization;
    const given = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : req.headers['x-api-key'];
    if (typeof given === 'string' && timingSafeEqual(digest(given), expected)) {
      next();
      return;
    }
    limiter.fail(client);
    next(new HeadstartError('UNAUTHORIZED', 'missing or wrong API key; send Authorization: Bearer <key> or x-api-key'));
  };
}

/** CORS for the configured origins ('*' = any); answers preflight requests. */
export function cors(origins: readonly string[]): RequestHandler {
  const any = origins.includes('*');
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin !== undefined && (any || origins.includes(origin))) {
      res.setHeader('Access-Control-Allow-Origin', any ? '*' : origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Expose-Headers', 'x-request-id, Retry-After');
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
        res.setHeader('Access-Control-Allow-Headers', 'Authorization, x-api-key, Content-Type, x-request-id');
        res.setHeader('Access-Control-Max-Age', '600');
        res.status(204).end();
        return;
      }
    }
    next();
  };
}

const LOOPBACK_BINDS = new Set(['127.0.0.1', '::1', 'localhost', '[::1]']);
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]', '::1'];

/** True for addresses only this machine can reach. */
export function isLoopbackBind(host: string): boolean {
  return LOOPBACK_BINDS.has(host) || host.startsWith('127.');
}

function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon >= 0 ? h.slice(0, colon) : h;
}

/**
 * DNS-rebinding guard: on a loopback bind only `Host: localhost | 127.0.0.1 | [::1]` (any port)
 * and the configured extra names are served (403 otherwise), so a web page whose name was
 * re-pointed at 127.0.0.1 cannot read the API. Other binds accept any Host unless names are given.
 */
export function hostAllowList(bindHost: string, extra: readonly string[]): RequestHandler {
  const allowed = new Set([...(isLoopbackBind(bindHost) ? LOOPBACK_NAMES : []), ...extra.map((h) => h.toLowerCase())]);
  if (allowed.size === 0) return (_req, _res, next) => next();
  if (isLoopbackBind(bindHost)) allowed.add(bindHost.toLowerCase());
  return (req, _res, next) => {
    const host = req.headers.host;
    if (typeof host === 'string' && allowed.has(hostName(host))) next();
    else next(new HeadstartError('FORBIDDEN', `Host "${String(host ?? '').slice(0, 80)}" is not served; add it with --allowed-hosts if this name should reach the server`));
  };
}

/** Per-client limit on wrong API keys: after `limit` failures in a minute the client gets 429 (Retry-After) until the minute ends. */
export class AuthFailureLimiter {
  private readonly clients = new Map<string, { failures: number; resetAt: number }>();
  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
  ) {}

  /** Throws RATE_LIMITED while `client` is locked out. */
  check(client: string, now = Date.now()): void {
    const entry = this.clients.get(client);
    if (entry === undefined) return;
    if (now >= entry.resetAt) {
      this.clients.delete(client);
      return;
    }
    if (entry.failures >= this.limit) {
      throw new HeadstartError('RATE_LIMITED', `too many wrong API keys from this client; retry in ${Math.ceil((entry.resetAt - now) / 1000)} s`, {
        details: { retryAfterS: Math.max(1, Math.ceil((entry.resetAt - now) / 1000)) },
      });
    }
  }

  /** Records one failure of `client`. */
  fail(client: string, now = Date.now()): void {
    if (this.clients.size > 10_000) for (const [k, v] of this.clients) if (now >= v.resetAt) this.clients.delete(k);
    const entry = this.clients.get(client);
    if (entry === undefined || now >= entry.resetAt) this.clients.set(client, { failures: 1, resetAt: now + this.windowMs });
    else entry.failures++;
  }
}
