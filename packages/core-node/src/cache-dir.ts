import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The platform's cache folder for Headstart: `$XDG_CACHE_HOME/headstart` or `~/.cache/headstart`
 * on Linux, `~/Library/Caches/headstart` on macOS, `%LOCALAPPDATA%\headstart\Cache` on Windows.
 * `env` is passed in by the app (packages never read the process environment).
 */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>> = {}, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'headstart');
  if (platform === 'win32') return join(env['LOCALAPPDATA'] || join(homedir(), 'AppData', 'Local'), 'headstart', 'Cache');
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'headstart');
}
