import { deflateSync } from 'node:zlib';
import { pngChunk as chunk } from '@headstart/core-node/testing';

/** PNG bytes of a width×height RGB image (no colour profile, so browsers decode them exactly). */
export function encodePng(rgb: Uint8Array, width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc(height * (width * 3 + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    raw.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (width * 3 + 1) + 1);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** A deterministic synthetic picture: gradients plus a coloured square, different per seed. */
export function syntheticRgb(width: number, height: number, seed: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      const inSquare = Math.abs(x - width / 2) < width / 4 && Math.abs(y - height / 2) < height / 4;
      out[o] = (x * 255) / Math.max(1, width - 1) * ((seed % 3) / 2) + (inSquare ? 60 * seed : 0);
      out[o + 1] = ((y * 255) / Math.max(1, height - 1) + seed * 40) % 256;
      out[o + 2] = inSquare ? 255 - seed * 30 : (seed * 70) % 256;
    }
  }
  return out;
}
