/**
 * @headstart/api — Express prediction server (v1 + Open Inference Protocol v2).
 * @example
 *   import { createApp } from '@headstart/api';
 *   const app = createApp({ registryDir: 'models' });
 *   await app.ready;
 *   app.listen(8080);
 */
export { createApp, type AppDeps, type HeadstartApp } from './app.ts';
export { ApiConfigSchema, ENV_NAMES, FLAG_NAMES, parseConfigArgs, resolveConfig, type ApiConfig, type ApiConfigInput } from './config.ts';
export { createLogger, startServer, type RunningServer } from './server.ts';
export { Batcher, type BatcherOptions, type BatchResult } from './batcher.ts';
export { ModelRegistry, MODEL_NAME_RE, type ModelVersion } from './registry.ts';
export { sniffAllowedImageFormat, type AllowedImageFormat } from './magic.ts';
export { statusForCode } from './http-errors.ts';
