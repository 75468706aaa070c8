import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTextIfPresent, statIfPresent } from './read-if-present.ts';

describe('read-if-present', () => {
  it('absent is undefined; present is read; any other failure is thrown', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hs-rip-'));
    expect(await readTextIfPresent(join(dir, 'missing.json'))).toBeUndefined();
    expect(await readTextIfPresent(join(dir, 'missing', 'deeper.json'))).toBeUndefined();
    expect(await statIfPresent(join(dir, 'missing'))).toBeUndefined();
    await writeFile(join(dir, 'a.txt'), 'hello');
    expect(await readTextIfPresent(join(dir, 'a.txt'))).toBe('hello');
    // A directory where a file should be is not "absent": the caller must hear about it.
    await expect(readTextIfPresent(dir)).rejects.toThrow(/EISDIR/);
  });
});
