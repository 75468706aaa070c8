/**
 * `headstart explain <run|model.onnx> <image> [-o heat.png] [--label NAME] [--json]`: a Grad-CAM heat
 * map over the image as the model saw it — from the run's TF.js model (any head), or from an
 * exported model's `cam` output (heads without dense blocks).
 */
import { stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { HeadstartError, type Explanation } from '@headstart/core';
import { encodePng, writeFileAtomic } from '@headstart/core-node';
import type { RegisterCommand } from './index.ts';

/** Shorter side of the written PNG, in pixels (small model inputs are enlarged to stay visible). */
const MIN_SIDE = 224;

interface Flags {
  out?: string;
  label?: string;
  json?: boolean;
}

/** True when `arg` is a run folder with a trained TF.js model (headstart.json + model/model.json). */
async function isTrainedRun(arg: string): Promise<boolean> {
  const s = await stat(arg).catch(() => undefined);
  if (!s?.isDirectory()) return false;
  const has = async (p: string): Promise<boolean> => (await stat(join(arg, p)).catch(() => undefined))?.isFile() === true;
  return (await has('headstart.json')) && (await has(join('model', 'model.json')));
}

async function explain(modelArg: string, image: string, label: string | undefined): Promise<Explanation> {
  const opts = label === undefined ? {} : { label };
  if (await isTrainedRun(modelArg)) {
    const { explainRun } = await import('@headstart/trainer');
    return explainRun(modelArg, image, opts);
  }
  const [{ explainOnnx }, { resolveModelPath }, { readFile }] = await Promise.all([import('@headstart/inference/node'), import('./predict.ts'), import('node:fs/promises')]);
  const model = await resolveModelPath(modelArg);
  const bytes = await readFile(image).catch((cause: unknown) => {
    throw new HeadstartError('IO', `cannot read ${image}: ${(cause as Error).message}`, { cause });
  });
  return explainOnnx(model, bytes, opts);
}

export const registerExplain: RegisterCommand = (program, io) => {
  program
    .command('explain')
    .description('Grad-CAM: where the model looked for a label (heat map over the image as the model saw it, PNG)')
    .argument('<model>', 'a run directory (its TF.js model: every head), or an exported model.onnx with a Grad-CAM output (heads without dense blocks)')
    .argument('<image>', 'an image file (JPEG, PNG, WebP, …)')
    .option('-o, --out <file>', 'PNG to write (default: <image name>-heat.png in the current folder)')
    .option('--label <name>', 'explain this label instead of the top one')
    .option('--json', 'print one JSON object (label, probabilities, output file, heat-map size)')
    .addHelpText(
      'after',
      '\nRed is where the feature map at the head\'s input (the base\'s cut) most raised the label\'s score: Grad-CAM, ReLU(Σ α_k A_k) with α the spatial mean of d score / d A.\nExit codes: 0 written, 1 usage error, 2 model or image problem (e.g. an .onnx without the Grad-CAM output: pass the run folder).\n\nExamples:\n  headstart explain runs/pets cat.jpg -o cat-heat.png\n  headstart explain runs/pets/model.onnx cat.jpg --label dog',
    )
    .action(async (modelArg: string, image: string, flags: Flags) => {
      const e = await explain(modelArg, image, flags.label);
      const out = flags.out ?? `${basename(image, extname(image))}-heat.png`;
      await writeFileAtomic(out, await encodePng(e.overlay, e.size[0], e.size[1], MIN_SIDE));
      const pct = (p: number): string => `${(p * 100).toFixed(1)}%`;
      if (flags.json) {
        io.stdout.write(
          `${JSON.stringify({ image, out, label: e.label, probability: e.probability, top: e.top, source: e.source, heatMap: { height: e.heat.height, width: e.heat.width }, size: e.size })}\n`,
        );
        return;
      }
      const top = e.top.label === e.label ? '' : ` (top label: ${e.top.label} ${pct(e.top.probability)})`;
      io.stdout.write(`${out}: Grad-CAM for ${e.label} ${pct(e.probability)}${top}, ${e.heat.height}×${e.heat.width} map from ${e.source}; red is where the model looked\n`);
    });
};
