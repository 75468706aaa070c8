import type { ErrorRequestHandler, RequestHandler } from 'express';
import { HeadstartError, isHeadstartError, type HeadstartErrorCode } from '@headstart/core';

const STATUS: Partial<Record<HeadstartErrorCode, number>> = {
  USAGE: 400,
  SPEC_MISMATCH: 400,
  IMAGE_UNDECODABLE: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  MODEL_NOT_FOUND: 404,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  IMAGE_TOO_LARGE: 413,
  IMAGE_FORMAT_UNSUPPORTED: 415,
  QUEUE_FULL: 429,
  RATE_LIMITED: 429,
  MODEL_INVALID: 500,
  INFERENCE_FAILED: 500,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

/** HTTP status for a Headstart error code (500 for anything unexpected). */
export function statusForCode(code: HeadstartErrorCode): number {
  return STATUS[code] ?? 500;
}

interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

/** Maps body-parser / Express errors (JSON syntax, entity too large) onto Headstart codes. */
function toHeadstartError(err: unknown): HeadstartError {
  if (isHeadstartError(err)) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as HttpishError & { message?: string };
  const status = e.status ?? e.statusCode;
  if (e.type === 'entity.too.large' || status === 413) return new HeadstartError('PAYLOAD_TOO_LARGE', 'request body is larger than the limit for this route');
  if (e.type === 'entity.parse.failed') return new HeadstartError('USAGE', 'request body is not valid JSON');
  if (status !== undefined && status >= 400 && status < 500) return new HeadstartError('USAGE', `bad request (${e.type ?? status})`);
  return new HeadstartError('INFERENCE_FAILED', 'internal server error', { cause: err });
}

/** The one error middleware: typed code → HTTP status, JSON body, no stack traces. v2 routes use the protocol's `{error: string}`. */
export function errorMiddleware(onServerError: (err: unknown, reqId: string | undefined) => void): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const he = toHeadstartError(err);
    const status = statusForCode(he.code);
    if (status >= 500) onServerError(err, res.locals.reqId as string | undefined);
    if (res.headersSent) {
      res.end();
      return;
    }
    res.removeHeader('Content-Disposition');
    res.type('application/json');
    const retryAfterS = he.details?.retryAfterS;
    if (typeof retryAfterS === 'number') res.setHeader('Retry-After', String(retryAfterS));
    else if (status === 429 || he.code === 'UNAVAILABLE') res.setHeader('Retry-After', '1');
    const message = he.message;
    if (req.path.startsWith('/v2/')) res.status(status).json({ error: `${he.code}: ${message}` });
    else res.status(status).json({ error: { code: he.code, message } });
  };
}

/** 404 for any route nothing matched. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new HeadstartError('NOT_FOUND', `no route ${req.method} ${req.path}`));
};
