import { readFile, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { HeadstartError, parseIdx, type IdxArray } from '@headstart/core';

/** Reads an IDX file, gunzipping it first when it is gzip-compressed (by magic, not name). */
export async function readIdxFile(path: string): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new HeadstartError('IO', `cannot read IDX file ${path}: ${(e as Error).message}`, { cause: e, details: { path } });
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new HeadstartError('IDX_INVALID', `${path} looks gzipped but does not inflate: ${(e as Error).message}`, { cause: e, details: { path } });
    }
  }
  return parseIdx(bytes, path);
}

/** An images file and its labels file, e.g. train-images-idx3-ubyte.gz + train-labels-idx1-ubyte.gz. */
export interface IdxPair {
  /** File-name prefix: `train`, `t10k`, … */
  prefix: string;
  images: string;
  labels: string;
}

const IMAGES_RE = /^(.*?)[-_.]images[-_.]idx3[-_.]ubyte(\.gz)?$/i;

/** Finds `<prefix>-images-idx3-ubyte[.gz]` files with a matching labels file in `dir`. */
export async function findIdxPairs(dir: string): Promise<IdxPair[]> {
  const names = (await readdir(dir)).filter((n) => !n.startsWith('.'));
  const pairs: IdxPair[] = [];
  for (const name of names.sort()) {
    const m = IMAGES_RE.exec(name);
    if (!m) continue;
    const prefix = m[1] ?? '';
    const labels = names.find((n) => {
      const l = /^(.*?)[-_.]labels[-_.]idx1[-_.]ubyte(\.gz)?$/i.exec(n);
      return l !== null && l[1] === prefix;
    });
    if (labels) pairs.push({ prefix, images: join(dir, name), labels: join(dir, labels) });
  }
  return pairs;
}

/** Reads an IDX images/labels pair and checks that they agree. */
export async function readIdxPair(pair: IdxPair): Promise<{ images: IdxArray; labels: Uint8Array }> {
  const [images, labels] = await Promise.all([readIdxFile(pair.images), readIdxFile(pair.labels)]);
  if (images.dims.length !== 3) {
    throw new HeadstartError('IDX_INVALID', `${basename(pair.images)} has dims [${images.dims.join(', ')}]; expected [count, height, width]`);
  }
  if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
    throw new HeadstartError(
      'IDX_INVALID',
      `${basename(pair.labels)} has dims [${labels.dims.join(', ')}] but ${basename(pair.images)} holds ${images.dims[0]} images`,
    );
  }
  return { images, labels: labels.data };
}
