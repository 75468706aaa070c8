/**
 * @headstart/api — Express prediction server (v1 + Open Inference Protocol v2).
 * @example
 *   import { buildApp } from '@headstart/api';
 *   const app = buildApp({ modelsDir: 'models' });
 *   await app.ready;
 *   app.listen(8080);
 */
export { buildApp, createApp, createRegistry, type AppDeps, type HeadstartApp } from './app.ts';
export {
  ApiConfigSchema,
  ENV_NAMES,
  FLAG_ALIASES,
  FLAG_NAMES,
  SETTINGS,
  describeSetting,
  parseConfigArgs,
  resolveConfig,
  settingDefaults,
  type ApiConfig,
  type ApiConfigInput,
  type ApiSetting,
} from './config.ts';
export { settingsTableMarkdown } from './config-docs.ts';
export { createLogger, nextFreePort, startServer, type RunningServer } from './server.ts';
export { DecodeGate, type DecodeGateOptions } from './decode-gate.ts';
export { Batcher, type BatcherOptions, type BatchResult } from './batcher.ts';
export { ModelRegistry, MODEL_NAME_RE, versionParam, type ModelVersion } from './registry.ts';
export { sniffAllowedImageFormat, type AllowedImageFormat } from './magic.ts';
export { statusForCode } from './http-errors.ts';
