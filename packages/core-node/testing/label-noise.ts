import { cp, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { createRng } from '@headstart/core';

/** A copy of a class-per-folder dataset with some images moved to a wrong class folder. */
export interface NoisyCopy {
  root: string;
  /** Paths (relative, `class/file`) of the moved images, under their new, wrong class. */
  flipped: Set<string>;
  /** Original class of each moved image, by its new path. */
  truth: Map<string, string>;
}

/**
 * Copies the class-per-folder dataset `src` to `out` and moves round(rate × images) images,
 * seeded, each into a uniformly chosen other class: planted label noise for testing finders.
 */
export async function plantLabelNoise(src: string, out: string, rate: number, seed = 5): Promise<NoisyCopy> {
  await cp(src, out, { recursive: true });
  const classes = (await readdir(out, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const files: [string, string][] = [];
  for (const c of classes) for (const f of (await readdir(join(out, c))).sort()) files.push([c, f]);
  const rng = createRng(seed);
  const pick = rng.shuffle(files.map((_, i) => i)).slice(0, Math.round(files.length * rate));
  const flipped = new Set<string>();
  const truth = new Map<string, string>();
  for (const i of pick) {
    const [c, f] = files[i] as [string, string];
    const others = classes.filter((x) => x !== c);
    const to = others[rng.int(others.length)] as string;
    await rename(join(out, c, f), join(out, to, f));
    flipped.add(`${to}/${f}`);
    truth.set(`${to}/${f}`, c);
  }
  return { root: out, flipped, truth };
}
