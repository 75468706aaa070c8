/** The commands a finished run leads to (predict, evaluate, publish + serve), printed by `train` and `demo`. */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { shellLine } from './run-training.ts';

/** `p` relative to the working folder when it lies below it, else as given. */
export function displayPath(p: string, cwd: string = process.cwd()): string {
  const r = relative(cwd, p);
  return r === '' ? '.' : r.startsWith('..') ? p : r;
}

/** Run-folder name usable as a registry model name (lower case, [a-z0-9-]). */
export function modelNameFor(runDir: string): string {
  const base = runDir.split(/[\\/]/).filter(Boolean).at(-1) ?? 'model';
  return base.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
}

/**
 * Lines after a finished run: with an ONNX export, predict on `image` (or a placeholder),
 * evaluate on other data, publish and serve; without one, how to export first.
 */
export function nextSteps(runDir: string, onnx: string | undefined, image?: string): string[] {
  const run = displayPath(runDir);
  const lines = ['next:'];
  if (!onnx) {
    lines.push(`  npx headstart export ${shellLine([run])}        # writes ${shellLine([`${run}/model.onnx`])}; predict and serve need it`);
    lines.push(`  npx headstart eval ${shellLine([run])} --data <other-images>`);
    return lines;
  }
  const name = modelNameFor(runDir);
  lines.push(`  npx headstart predict ${shellLine([displayPath(onnx)])} ${image ? shellLine([displayPath(image)]) : '<image or folder>'}`);
  lines.push(`  npx headstart eval ${shellLine([run])} --data <other-images>`);
  lines.push(`  npx headstart publish ${shellLine([run])} --models models --name ${name}`);
  lines.push('  npx headstart serve --models models     # HTTP API and the browser page');
  return lines;
}

/** One image of the dataset to show `predict` with (first file of the first class folder). */
export function sampleImage(data: string): string | undefined {
  try {
    for (const cls of readdirSync(data, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
      const file = readdirSync(join(data, cls)).sort().find((f) => /\.(png|jpe?g|webp)$/i.test(f));
      if (file) return join(data, cls, file);
    }
  } catch {
    // not a class-per-folder dataset: no sample to suggest
  }
  return undefined;
}
