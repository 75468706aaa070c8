import type { Logger } from 'pino';
import type { DecodeGate } from './decode-gate.ts';
import type { JsonTensorParser } from './json-parser.ts';
import type { ApiMetrics } from './metrics.ts';
import type { ModelRegistry } from './registry.ts';

/** Limits the routes enforce. */
export interface RouteLimits {
  maxBatch: number;
  deadlineMs: number;
  bodyLimitBytes: number;
  /** Fixed v2 JSON limit; undefined = derived from each model's input shape. */
  jsonLimitBytes: number | undefined;
  maxPixels: number;
}

/** What every router needs, built once by createApp. */
export interface AppContext {
  registry: ModelRegistry;
  metrics: ApiMetrics;
  limits: RouteLimits;
  logger: Logger;
  /** Admission control for image decoding (pixel budget). */
  decodeGate: DecodeGate;
  /** v2 JSON bodies are parsed here, off the main thread. */
  jsonParser: JsonTensorParser;
  /** Set on shutdown: new requests are refused with 503. */
  draining: { value: boolean };
}
