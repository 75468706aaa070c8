/**
 * The record a downloaded base leaves in its cache folder (`headstart-cache.json`), written
 * last and atomically: its presence means every listed file is complete. `trust` says how
 * the hashes were obtained: `pinned` (the catalogue's sha256) or `first-use` (hashes of the
 * first complete download, checked on every later use).
 */
import { z } from 'zod';
import { HeadstartError } from '../errors.ts';

/** File name of the cache record inside a base's cache folder. */
export const BASE_CACHE_RECORD = 'headstart-cache.json';

/** One cached file: its name relative to the folder, size and sha256 (hex). */
export const BaseCacheFileSchema = z.object({
  name: z.string().min(1),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/** Schema of `headstart-cache.json`. */
export const BaseCacheRecordSchema = z.object({
  format: z.literal('headstart-base-cache@1'),
  url: z.string().min(1),
  completedAt: z.string(),
  trust: z.enum(['pinned', 'first-use']),
  files: z.array(BaseCacheFileSchema).min(1),
});

/** A parsed cache record. */
export type BaseCacheRecord = z.infer<typeof BaseCacheRecordSchema>;

/** Parses a cache record; a corrupt one is MODEL_INVALID naming the file (the caller re-downloads). */
export function parseBaseCacheRecord(text: string, where: string): BaseCacheRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new HeadstartError('MODEL_INVALID', `Cache record ${where} is not valid JSON`, { cause, details: { path: where } });
  }
  const parsed = BaseCacheRecordSchema.safeParse(raw);
  if (!parsed.success) throw new HeadstartError('MODEL_INVALID', `Cache record ${where} is invalid: ${parsed.error.issues[0]?.message ?? 'schema mismatch'}`, { details: { path: where } });
  return parsed.data;
}

/** The record as JSON text (stable key order). */
export function encodeBaseCacheRecord(record: BaseCacheRecord): string {
  return `${JSON.stringify(BaseCacheRecordSchema.parse(record), null, 2)}\n`;
}
