import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

/** A distinct RGB test picture: a gradient keyed by `seed`, `width`×`height`. */
export function testPixels(width: number, height: number, seed: number): Buffer {
  const px = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      px[i] = (x * 7 + seed * 31) & 255;
      px[i + 1] = (y * 5 + seed * 17) & 255;
      px[i + 2] = (x * y + seed * 13) & 255;
    }
  }
  return px;
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

/** Encodes a test picture as JPEG or PNG. */
export async function testImage(format: 'jpeg' | 'png', seed: number, width = 48, height = 40): Promise<Buffer> {
  const img = sharp(testPixels(width, height, seed), { raw: { width, height, channels: 3 } });
  return format === 'jpeg' ? img.jpeg({ quality: 90 }).toBuffer() : img.png().toBuffer();
}

/** What `buildMessyDataset` planted, for assertions. */
export interface MessyDataset {
  root: string;
  /** Good images expected per class (empty class included with 0). */
  goodCounts: Record<string, number>;
  /** Expected problem code per relative path. */
  problems: Array<{ path: string; code: string }>;
}

/**
 * Writes a deliberately messy class-per-folder dataset under `root`: a truncated JPEG, a
 * text file named .jpg, a CMYK JPEG, a 16-bit PNG, an EXIF-rotated (orientation 6) JPEG,
 * an empty class folder, one image in two classes, a duplicate within a class, a unicode
 * class name, upper-case extensions, a tiny single-image class, hidden and stray files.
 */
export async function buildMessyDataset(root: string): Promise<MessyDataset> {
  const put = async (rel: string, data: Buffer | string): Promise<void> => {
    const path = join(root, rel);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, data);
  };
  const rgb = (seed: number, w = 48, h = 40) => sharp(testPixels(w, h, seed), { raw: { width: w, height: h, channels: 3 } });
  const cat = '猫';
  const shoes = 'chaussures_été';
  await put(`${shoes}/a.JPG`, await testImage('jpeg', 1));
  await put(`${shoes}/b.jpg`, await testImage('jpeg', 2));
  await put(`${shoes}/sub/c.PNG`, await testImage('png', 3));
  await put(`${cat}/x.PNG`, await testImage('png', 4));
  await put(`${cat}/y.jpeg`, await testImage('jpeg', 5));
  await put(`${cat}/cmyk.jpg`, await rgb(6).toColourspace('cmyk').jpeg().toBuffer());
  await put(`${cat}/deep16.png`, await rgb(7).toColourspace('rgb16').png().toBuffer());
  await put(`${cat}/rotated.jpg`, await rgb(8, 60, 30).jpeg().withMetadata({ orientation: 6 }).toBuffer());
  const d1 = await testImage('jpeg', 9);
  await put('dog/d1.jpg', d1);
  await put('dog/d1-copy.jpg', d1);
  await put('dog/d2.jpg', await testImage('jpeg', 10));
  await put('dog/x-again.png', await testImage('png', 4));
  const truncated = await testImage('jpeg', 11, 200, 200);
  await put('dog/corrupt.jpg', truncated.subarray(0, Math.floor(truncated.length * 0.6)));
  await put('dog/notes.jpg', 'these are my notes, not a picture\n');
  await put('lonely/one.jpg', await testImage('jpeg', 12, 8, 8));
  await mkdir(join(root, 'empty_class'), { recursive: true });
  await put('.DS_Store', 'junk');
  await put(`${cat}/.hidden.jpg`, 'not even looked at');
  await put('README.txt', 'about this dataset');
  return {
    root,
    goodCounts: { [shoes]: 3, [cat]: 5, dog: 4, lonely: 1, empty_class: 0 },
    problems: [
      { path: 'dog/corrupt.jpg', code: 'IMAGE_UNDECODABLE' },
      { path: 'dog/notes.jpg', code: 'NOT_AN_IMAGE' },
      { path: 'dog/d1.jpg', code: 'DUPLICATE' },
      { path: `${cat}/x.PNG`, code: 'DUPLICATE_ACROSS_CLASSES' },
      { path: 'empty_class', code: 'CLASS_EMPTY' },
      { path: 'lonely', code: 'CLASS_SINGLE_IMAGE' },
      { path: 'lonely/one.jpg', code: 'IMAGE_TINY' },
      { path: '.', code: 'IMBALANCE' },
      { path: `${cat}/cmyk.jpg`, code: 'IMAGE_CMYK' },
      { path: `${cat}/deep16.png`, code: 'IMAGE_16BIT' },
      { path: `${cat}/rotated.jpg`, code: 'IMAGE_EXIF_ROTATED' },
      { path: 'README.txt', code: 'FILE_IGNORED' },
    ],
  };
}
