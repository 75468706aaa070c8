import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PreprocessSpecSchema } from '@headstart/core';
import { decodeForModel } from './decode.ts';

// The cross-surface golden fixture: the pixels classify() (and so the API) feeds the model equal
// the checksums core's decodeImage and the browser entry produce.
const fixtures = fileURLToPath(new URL('../../../core/test/fixtures/', import.meta.url));
const golden = JSON.parse(readFileSync(fixtures + 'cross-surface.json', 'utf8')) as {
  cases: Array<{ file: string; size: [number, number]; resize: 'cover' | 'contain' | 'stretch'; grayscale: boolean; sha256: string }>;
};

describe('decodeForModel (node entry, used by classify and the API)', () => {
  it('gives the cross-surface golden pixels for every case, grayscale and RGBA included', async () => {
    expect(golden.cases.length).toBeGreaterThanOrEqual(7);
    for (const c of golden.cases) {
      const spec = PreprocessSpecSchema.parse({ size: c.size, resize: c.resize, grayscale: c.grayscale, mode: 'tf' });
      const px = await decodeForModel(readFileSync(fixtures + c.file), spec);
      expect(createHash('sha256').update(px).digest('hex'), `${c.file} ${c.size.join('x')} ${c.resize}`).toBe(c.sha256);
    }
  });
});
