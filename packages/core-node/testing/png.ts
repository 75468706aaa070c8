/** Hand-built PNG files for tests: exact pixels (no colour profile, so every decoder agrees) and malformed headers. */
import { deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const crc32 = (buf: Buffer): number => {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
};

/** One PNG chunk: length, type, data and CRC-32 (for hand-built PNG fixtures). */
export const pngChunk = (type: string, data: Buffer): Buffer => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};

/** A whole PNG file: signature, IHDR (`width`×`height`, 8 bits, `colourType`), one IDAT of `rows` deflated, IEND. */
function pngFile(width: number, height: number, colourType: number, rows: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, colourType, 0, 0, 0], 8);
  return Buffer.concat([SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(rows)), pngChunk('IEND', Buffer.alloc(0))]);
}

/**
 * A PNG whose header announces `width`×`height` grey pixels but whose data holds only a
 * few rows: a decompression-bomb stand-in that only a header-first check refuses cheaply.
 */
export function hugePngHeader(width: number, height: number): Buffer {
  return pngFile(width, height, 0, Buffer.alloc((width + 1) * 4));
}

/** PNG bytes of a width×height RGB image (no colour profile, so browsers decode them exactly). */
export function encodeRgbPng(rgb: Uint8Array, width: number, height: number): Buffer {
  const raw = Buffer.alloc(height * (width * 3 + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    raw.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (width * 3 + 1) + 1);
  }
  return pngFile(width, height, 2, raw);
}
