import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { HeadstartError } from '@headstart/core';

/** `sha256:<hex>` of model bytes: the identity written into bulk outputs and queue jobs. */
export function modelHash(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * Reads a model from a path or an http(s) URL; with `expected`, refuses bytes of another hash.
 * @throws HeadstartError MODEL_NOT_FOUND (unreadable), MODEL_INVALID (hash mismatch).
 */
export async function loadModelBytes(source: string, expected?: string): Promise<{ bytes: Uint8Array; sha256: string }> {
  let bytes: Uint8Array;
  if (/^https?:\/\//i.test(source)) {
    let res: Response;
    try {
      res = await fetch(source);
    } catch (cause) {
      throw new HeadstartError('MODEL_NOT_FOUND', `cannot download the model ${source}: ${(cause as Error).message}`, { cause });
    }
    if (!res.ok) throw new HeadstartError('MODEL_NOT_FOUND', `cannot download the model ${source}: HTTP ${res.status}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  } else {
    try {
      bytes = await readFile(source);
    } catch (cause) {
      throw new HeadstartError('MODEL_NOT_FOUND', `cannot read the model ${source}: ${(cause as Error).message}`, { cause, details: { file: source } });
    }
  }
  const sha256 = modelHash(bytes);
  if (expected !== undefined && sha256 !== expected) {
    throw new HeadstartError('MODEL_INVALID', `${source} has hash ${sha256}, but the job asks for ${expected}: every worker must see the same model file`);
  }
  return { bytes, sha256 };
}
