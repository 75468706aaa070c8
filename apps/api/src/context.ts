import type { Logger } from 'pino';
import type { ApiMetrics } from './metrics.ts';
import type { ModelRegistry } from './registry.ts';

/** Limits the routes enforce. */
export interface RouteLimits {
  maxBatch: number;
  deadlineMs: number;
  bodyLimitBytes: number;
  jsonLimitBytes: number;
}

/** What every router needs, built once by createApp. */
export interface AppContext {
  registry: ModelRegistry;
  metrics: ApiMetrics;
  limits: RouteLimits;
  logger: Logger;
  /** Set on shutdown: new requests are refused with 503. */
  draining: { value: boolean };
}
