import { describe, expect, it } from 'vitest';
import { defaultCacheDir } from './cache-dir.ts';

describe('defaultCacheDir', () => {
  it('the platform cache folder follows XDG_CACHE_HOME on Linux and the OS conventions elsewhere', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/xdg' }, 'linux')).toBe('/xdg/headstart');
    expect(defaultCacheDir({}, 'linux')).toMatch(/\.cache\/headstart$/);
    expect(defaultCacheDir({}, 'darwin')).toMatch(/Library\/Caches\/headstart$/);
  });
});
