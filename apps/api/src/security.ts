import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HeadstartError } from '@headstart/core';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Optional API key: `Authorization: Bearer <key>` or `x-api-key: <key>`, compared in constant time. */
export function apiKeyAuth(apiKey: string | undefined): RequestHandler {
  if (apiKey === undefined) return (_req, _res, next) => next();
  const expected = digest(apiKey);
  return (req, _res, next) => {
    const auth = req.headers.authorization;
    const given = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : req.headers['x-api-key'];
    if (typeof given === 'string' && timingSafeEqual(digest(given), expected)) next();
    else next(new HeadstartError('UNAUTHORIZED', 'missing or wrong API key; send Authorization: Bearer <key> or x-api-key'));
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
