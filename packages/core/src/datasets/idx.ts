import { HeadstartError } from '../errors.ts';

/** A parsed IDX array (the MNIST family's format): dimensions and row-major uint8 data. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

/**
 * Parses un-gzipped IDX bytes (magic 0x0000 08 <ndims>, big-endian uint32 dims, uint8 data).
 * Only the unsigned-byte type is supported, which covers MNIST, Fashion-MNIST and EMNIST.
 * @throws HeadstartError IDX_INVALID naming `source` when the bytes are not a valid IDX file.
 */
export function parseIdx(bytes: Uint8Array, source = 'IDX data'): IdxArray {
  const fail = (why: string): never => {
    throw new HeadstartError('IDX_INVALID', `${source} is not a valid IDX file: ${why}`, { details: { source } });
  };
  if (bytes.length < 4) fail(`only ${bytes.length} bytes`);
  if (bytes[0] !== 0 || bytes[1] !== 0) fail('the magic number must start with two zero bytes (is it still gzipped?)');
  if (bytes[2] !== UBYTE) fail(`data type 0x${(bytes[2] ?? 0).toString(16)} is not supported (only unsigned byte, 0x08)`);
  const ndims = bytes[3] ?? 0;
  if (ndims < 1) fail('zero dimensions');
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) fail(`header needs ${headerBytes} bytes, file has ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let total = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    total *= d;
  }
  const available = bytes.length - headerBytes;
  if (available !== total) {
    fail(`dims [${dims.join(', ')}] need ${total} data bytes, found ${available} (truncated or wrong file)`);
  }
  return { dims, data: bytes.subarray(headerBytes, headerBytes + total) };
}
