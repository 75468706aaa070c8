/** Writes a tiny class-per-folder PNG dataset (noisy colour-tinted squares) for end-to-end tests. */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

const TINTS: Record<string, [number, number, number]> = {
  red: [200, 40, 40],
  green: [40, 180, 60],
  blue: [40, 60, 200],
};

/** Creates `root/<class>/<i>.png` for three classes; deterministic (seeded LCG). */
export async function writeTinyDataset(root: string, perClass = 10, size = 32): Promise<string[]> {
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (const [label, tint] of Object.entries(TINTS)) {
    const dir = join(root, label);
    await mkdir(dir, { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const px = Buffer.alloc(size * size * 3);
      for (let p = 0; p < size * size; p++) {
        const y = Math.floor(p / size);
        const stripe = (y + i) % 8 < 4 ? 1 : 0.6;
        for (let c = 0; c < 3; c++) px[p * 3 + c] = Math.max(0, Math.min(255, Math.round(tint[c]! * stripe + (rand() - 0.5) * 90)));
      }
      await sharp(px, { raw: { width: size, height: size, channels: 3 } }).png().toFile(join(dir, `${i}.png`));
    }
  }
  return Object.keys(TINTS);
}
