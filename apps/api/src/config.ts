import { parseArgs } from 'node:util';
import { z } from 'zod';
import { HeadstartError } from '@headstart/core';

const csv = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s.length > 0));

/** Every setting of the prediction server, validated once. */
export const ApiConfigSchema = z
  .object({
    port: z.coerce.number().int().min(0).max(65535).default(8080),
    host: z.string().min(1).default('127.0.0.1'),
    modelsDir: z.string().min(1),
    maxBatch: z.coerce.number().int().min(1).max(1024).default(8),
    maxDelayMs: z.coerce.number().min(0).max(10_000).default(2),
    queueSize: z.coerce.number().int().min(1).max(100_000).default(64),
    deadlineMs: z.coerce.number().int().min(1).max(600_000).default(10_000),
    bodyLimitBytes: z.coerce.number().int().min(1024).default(10 * 1024 * 1024),
    jsonLimitBytes: z.coerce.number().int().min(1024).default(64 * 1024 * 1024),
    maxPixels: z.coerce.number().int().min(1).default(25_000_000),
    apiKey: z.string().min(8).optional(),
    corsOrigins: csv.default([]),
    webRoot: z.string().min(1).optional(),
    provider: z.enum(['auto', 'cuda', 'cpu']).default('auto'),
    threads: z.coerce.number().int().min(1).max(256).optional(),
    pollMs: z.coerce.number().int().min(0).default(2000),
    watch: z.union([z.boolean(), z.stringbool()]).default(true),
    inferenceWorker: z.union([z.boolean(), z.stringbool()]).default(true),
    headersTimeoutMs: z.coerce.number().int().min(100).default(10_000),
    requestTimeoutMs: z.coerce.number().int().min(100).default(30_000),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict();
/** Parsed server configuration. */
export type ApiConfig = z.infer<typeof ApiConfigSchema>;
/** Configuration as given (strings from flags/env, or typed values). */
export type ApiConfigInput = z.input<typeof ApiConfigSchema>;

/** Environment variable for each setting (HEADSTART_PORT, HEADSTART_MODELS_DIR, …). */
export const ENV_NAMES: Record<keyof ApiConfig, string> = {
  port: 'HEADSTART_PORT',
  host: 'HEADSTART_HOST',
  modelsDir: 'HEADSTART_MODELS_DIR',
  maxBatch: 'HEADSTART_MAX_BATCH',
  maxDelayMs: 'HEADSTART_MAX_DELAY_MS',
  queueSize: 'HEADSTART_QUEUE_SIZE',
  deadlineMs: 'HEADSTART_DEADLINE_MS',
  bodyLimitBytes: 'HEADSTART_BODY_LIMIT_BYTES',
  jsonLimitBytes: 'HEADSTART_JSON_LIMIT_BYTES',
  maxPixels: 'HEADSTART_MAX_PIXELS',
  apiKey: 'HEADSTART_API_KEY',
  corsOrigins: 'HEADSTART_CORS_ORIGINS',
  webRoot: 'HEADSTART_WEB_ROOT',
  provider: 'HEADSTART_PROVIDER',
  threads: 'HEADSTART_THREADS',
  pollMs: 'HEADSTART_POLL_MS',
  watch: 'HEADSTART_WATCH',
  inferenceWorker: 'HEADSTART_INFERENCE_WORKER',
  headersTimeoutMs: 'HEADSTART_HEADERS_TIMEOUT_MS',
  requestTimeoutMs: 'HEADSTART_REQUEST_TIMEOUT_MS',
  logLevel: 'HEADSTART_LOG_LEVEL',
};

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Command-line flag for each setting: --models-dir (alias --models), --max-batch, … */
export const FLAG_NAMES = Object.fromEntries(Object.keys(ENV_NAMES).map((k) => [k, kebab(k)])) as Record<keyof ApiConfig, string>;

/** Merges explicit values over environment variables and validates; flags win, then env, then defaults. */
export function resolveConfig(given: Partial<Record<keyof ApiConfig, unknown>>, env: Record<string, string | undefined> = {}): ApiConfig {
  const merged: Record<string, unknown> = {};
  for (const [key, envName] of Object.entries(ENV_NAMES)) {
    const value = given[key as keyof ApiConfig] ?? env[envName];
    if (value !== undefined && value !== '') merged[key] = value;
  }
  const parsed = ApiConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? '');
      const name = key in FLAG_NAMES ? `--${FLAG_NAMES[key as keyof ApiConfig]} / ${ENV_NAMES[key as keyof ApiConfig]}` : key;
      return `${name}: ${i.message}`;
    });
    throw new HeadstartError('USAGE', `invalid server configuration: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/** Parses `--flag value` arguments (and env) into a validated config. */
export function parseConfigArgs(args: readonly string[], env: Record<string, string | undefined>): ApiConfig {
  const options = Object.fromEntries(Object.values(FLAG_NAMES).map((f) => [f, { type: 'string' as const }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...args], options: { ...options, models: { type: 'string' }, web: { type: 'string' } }, strict: true }));
  } catch (cause) {
    throw new HeadstartError('USAGE', (cause as Error).message, { cause });
  }
  const given: Partial<Record<keyof ApiConfig, unknown>> = {};
  for (const [key, flag] of Object.entries(FLAG_NAMES)) given[key as keyof ApiConfig] = values[flag];
  given.modelsDir ??= values.models;
  given.webRoot ??= values.web;
  return resolveConfig(given, env);
}
