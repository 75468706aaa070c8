import { parseArgs } from 'node:util';
import { z } from 'zod';
import { HeadstartError } from '@headstart/core';

const csv = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s.length > 0));
const bool = z.union([z.boolean(), z.stringbool()]);

/**
 * Every setting of the prediction server with its one default and its help text: `createApp`,
 * `startServer`, `headstart serve`'s flags, the env variables and docs/api.md all derive from it.
 */
export const ApiConfigSchema = z
  .object({
    port: z.coerce.number().int().min(0).max(65535).default(8080).describe('port (0 = any free port)'),
    host: z.string().min(1).default('127.0.0.1').describe('address to bind'),
    modelsDir: z.string().min(1).describe('registry directory (models/<name>/<version>/model.onnx)'),
    maxBatch: z.coerce.number().int().min(1).max(1024).default(8).describe('most images in one inference call and in one request'),
    maxDelayMs: z.coerce.number().min(0).max(10_000).default(2).describe('longest wait for a micro-batch to fill (ms)'),
    queueSize: z.coerce.number().int().min(1).max(100_000).default(64).describe('images that may wait (for decoding or inference) before 429'),
    deadlineMs: z.coerce.number().int().min(1).max(600_000).default(10_000).describe('per-request deadline before 504 (ms)'),
    bodyLimitBytes: z.coerce.number().int().min(1024).default(10 * 1024 * 1024).describe('largest image request body (bytes) before 413'),
    jsonLimitBytes: z.coerce.number().int().min(1024).optional().describe("largest v2 JSON body (bytes); default: derived from each model's input shape and --max-batch"),
    maxPixels: z.coerce.number().int().min(1).default(25_000_000).describe('largest decoded image (pixels) before 413'),
    decodePixelBudget: z.coerce.number().int().min(1).default(50_000_000).describe('decoded pixels in flight across requests; more waits, or 503 when it cannot start before its deadline'),
    decodeConcurrency: z.coerce.number().int().min(1).max(256).default(4).describe('images decoding at once'),
    maxConnections: z.coerce.number().int().min(1).default(256).describe('open connections; more are refused'),
    allowedHosts: csv.default([]).describe('extra Host header names accepted (loopback binds accept only localhost names by default: DNS-rebinding guard)'),
    authFailureLimit: z.coerce.number().int().min(1).default(10).describe('wrong API keys per client per minute before 429'),
    apiKey: z.string().min(8).optional().describe('require this key (Authorization: Bearer <key> or x-api-key)'),
    corsOrigins: csv.default([]).describe('comma-separated allowed CORS origins, or *'),
    webRoot: z.string().min(1).optional().describe("folder of the web page served at / (default: the page installed with Headstart)"),
    provider: z.enum(['auto', 'cuda', 'cpu']).default('auto').describe('onnxruntime execution provider: auto | cuda | cpu'),
    threads: z.coerce.number().int().min(1).max(256).optional().describe('onnxruntime intra-op threads per model (default min(4, cores))'),
    pollMs: z.coerce.number().int().min(0).default(2000).describe('registry poll interval (ms; 0 = off)'),
    watch: bool.default(true).describe('also rescan the registry on file-system events'),
    inferenceWorker: bool.default(true).describe('run each model in a worker thread'),
    headersTimeoutMs: z.coerce.number().int().min(100).default(10_000).describe('headers must arrive within this (ms) or 408'),
    requestTimeoutMs: z.coerce.number().int().min(100).default(30_000).describe('the whole request must arrive within this (ms) or 408'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('fatal | error | warn | info | debug | trace | silent'),
  })
  .strict();
/** Parsed server configuration. */
export type ApiConfig = z.infer<typeof ApiConfigSchema>;
/** Configuration as given (strings from flags/env, or typed values). */
export type ApiConfigInput = z.input<typeof ApiConfigSchema>;
/** One setting's name. */
export type ApiSetting = keyof ApiConfig;

/** Settings in schema order. */
export const SETTINGS = Object.keys(ApiConfigSchema.shape) as ApiSetting[];

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}

/** Environment variable for each setting (HEADSTART_PORT, HEADSTART_MODELS_DIR, …). */
export const ENV_NAMES = Object.fromEntries(SETTINGS.map((k) => [k, `HEADSTART_${snake(k)}`])) as Record<ApiSetting, string>;

/** Command-line flag for each setting (without `--`): models-dir, max-batch, … */
export const FLAG_NAMES = Object.fromEntries(SETTINGS.map((k) => [k, kebab(k)])) as Record<ApiSetting, string>;

/** Short aliases accepted for some flags (`--models` = `--models-dir`). */
export const FLAG_ALIASES: Partial<Record<ApiSetting, string>> = { modelsDir: 'models', webRoot: 'web', corsOrigins: 'cors' };

/** Help text of a setting (from the schema). */
export function describeSetting(key: ApiSetting): string {
  return ApiConfigSchema.shape[key].description ?? '';
}

/** Defaults of every setting that has one (from the schema, nothing else). */
export function settingDefaults(): Partial<ApiConfig> {
  const parsed = ApiConfigSchema.parse({ modelsDir: '-' }) as Partial<ApiConfig>;
  delete parsed.modelsDir;
  return parsed;
}

/** Merges explicit values over environment variables and validates; flags win, then env, then defaults. */
export function resolveConfig(given: Partial<Record<ApiSetting, unknown>>, env: Record<string, string | undefined> = {}): ApiConfig {
  const merged: Record<string, unknown> = {};
  for (const key of SETTINGS) {
    const value = given[key] ?? env[ENV_NAMES[key]];
    if (value !== undefined && value !== '') merged[key] = value;
  }
  const parsed = ApiConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? '');
      const name = key in FLAG_NAMES ? `--${FLAG_NAMES[key as ApiSetting]} / ${ENV_NAMES[key as ApiSetting]}` : key;
      return `${name}: ${i.message}`;
    });
    throw new HeadstartError('USAGE', `invalid server configuration: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/** Parses `--flag value` arguments (and env) into a validated config. */
export function parseConfigArgs(args: readonly string[], env: Record<string, string | undefined>): ApiConfig {
  const options: Record<string, { type: 'string' }> = {};
  for (const key of SETTINGS) {
    options[FLAG_NAMES[key]] = { type: 'string' };
    const alias = FLAG_ALIASES[key];
    if (alias !== undefined) options[alias] = { type: 'string' };
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...args], options, strict: true }));
  } catch (cause) {
    throw new HeadstartError('USAGE', (cause as Error).message, { cause });
  }
  const given: Partial<Record<ApiSetting, unknown>> = {};
  for (const key of SETTINGS) {
    const alias = FLAG_ALIASES[key];
    given[key] = values[FLAG_NAMES[key]] ?? (alias === undefined ? undefined : values[alias]);
  }
  return resolveConfig(given, env);
}
