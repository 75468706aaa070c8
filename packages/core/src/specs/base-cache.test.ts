import { describe, expect, it } from 'vitest';
import { isHeadstartError } from '../errors.ts';
import { encodeBaseCacheRecord, parseBaseCacheRecord, type BaseCacheRecord } from './base-cache.ts';

const record: BaseCacheRecord = {
  format: 'headstart-base-cache@1',
  url: 'https://host/m/model.json',
  completedAt: '2026-12-01T00:00:00.000Z',
  trust: 'first-use',
  files: [{ name: 'model.json', bytes: 10, sha256: 'a'.repeat(64) }],
};

describe('base cache record', () => {
  it('round-trips and rejects damaged records naming the file', () => {
    expect(parseBaseCacheRecord(encodeBaseCacheRecord(record), 'x')).toEqual(record);
    for (const bad of ['{', JSON.stringify({ ...record, files: [{ name: 'm', bytes: 1, sha256: 'nothex' }] }), JSON.stringify({ ...record, trust: 'maybe' })]) {
      let err: unknown;
      try {
        parseBaseCacheRecord(bad, '/c/bases/m/headstart-cache.json');
      } catch (e) {
        err = e;
      }
      expect(isHeadstartError(err, 'MODEL_INVALID')).toBe(true);
      expect((err as Error).message).toContain('/c/bases/m/headstart-cache.json');
    }
  });
});
