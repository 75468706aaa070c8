/** Settings the CLI reads from the environment, parsed once and passed into the packages. */
import { defaultCacheDir } from '@headstart/core-node';

/** Where downloaded bases are cached and which mirror replaces their host. */
export interface ModelSettings {
  /** `$HEADSTART_CACHE`, else the platform's cache folder. */
  cacheDir: string;
  /** `$HEADSTART_MODEL_MIRROR` (e.g. `https://mirror.internal/models`), replacing the URL's scheme and host. */
  mirror?: string;
}

/** Model settings from `env` (process.env by default). */
export function modelSettings(env: Readonly<Record<string, string | undefined>> = process.env): ModelSettings {
  const mirror = env['HEADSTART_MODEL_MIRROR']?.trim();
  return { cacheDir: env['HEADSTART_CACHE']?.trim() || defaultCacheDir(env), ...(mirror ? { mirror } : {}) };
}

/** The base cache and mirror from the environment, as `train` / `advise` option fields. */
export function trainModelSettings(env?: Readonly<Record<string, string | undefined>>): { cacheDir: string; modelMirror?: string } {
  const s = modelSettings(env);
  return { cacheDir: s.cacheDir, ...(s.mirror ? { modelMirror: s.mirror } : {}) };
}
