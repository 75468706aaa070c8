/** A small bulk-prediction fixture: a tiny real ONNX model, a folder of PNGs (some large, so a chunk takes a while), and unreadable files. */
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { buildTinyClassifierOnnx } from '@headstart/inference/testing';

/** Paths of the fixture. */
export interface BulkFixture {
  dir: string;
  model: string;
  images: string;
  /** Every file the folder walk sees (images + the two unreadable ones). */
  count: number;
  unreadable: string[];
}

/** Builds the fixture: `big` copies of a 3000×3000 PNG (≈60 ms to decode each), 6 small coloured PNGs, one non-image and one dangling link. */
export async function makeBulkFixture(big: number): Promise<BulkFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'headstart-bulk-'));
  const model = join(dir, 'model.onnx');
  writeFileSync(model, buildTinyClassifierOnnx({ labels: ['red', 'green', 'blue'], size: [8, 8] }));
  const images = join(dir, 'images');
  const w = 3000;
  const raw = Buffer.alloc(w * w * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 7 + (i >> 10)) & 255;
  const bigPng = join(dir, 'big.png');
  writeFileSync(bigPng, await sharp(raw, { raw: { width: w, height: w, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer());
  for (let i = 0; i < big; i++) {
    const sub = join(images, `part-${i % 4}`);
    mkdirSync(sub, { recursive: true });
    copyFileSync(bigPng, join(sub, `big-${String(i).padStart(3, '0')}.png`));
  }
  const colours = [
    [240, 10, 10],
    [10, 240, 10],
    [10, 10, 240],
    [200, 120, 10],
    [10, 150, 200],
    [120, 10, 200],
  ] as const;
  for (const [i, [r, g, b]] of colours.entries()) {
    writeFileSync(join(images, `small-${i}.png`), await sharp({ create: { width: 20, height: 12, channels: 3, background: { r, g, b } } }).png().toBuffer());
  }
  const unreadable = [join(images, 'not-an-image.png'), join(images, 'dangling.png')];
  writeFileSync(unreadable[0] as string, 'not an image');
  symlinkSync(join(dir, 'missing.png'), unreadable[1] as string);
  return { dir, model, images, count: big + colours.length + unreadable.length, unreadable };
}

/** Data lines of a CSV output, sorted (order differs between runs; content must not). */
export function sortedRows(csv: string): string[] {
  return csv.trim().split('\n').slice(1).sort();
}
