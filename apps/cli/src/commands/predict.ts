/** `headstart predict <model.onnx|runDir> <images...> [--topk N] [--json]`: classify image files with an exported model. */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadstartError, isHeadstartError } from '@headstart/core';
import { intArg } from '../options/specs.ts';
import { EXIT } from '../io.ts';
import type { RegisterCommand } from './index.ts';

/** The ONNX file for a model argument: the file itself, or `<runDir>/model.onnx`. */
export async function resolveModelPath(arg: string): Promise<string> {
  let s;
  try {
    s = await stat(arg);
  } catch {
    throw new HeadstartError('MODEL_NOT_FOUND', `${arg} does not exist; pass an exported model.onnx or a run directory`);
  }
  if (!s.isDirectory()) return arg;
  const inside = join(arg, 'model.onnx');
  try {
    await stat(inside);
    return inside;
  } catch {
    throw new HeadstartError('RUN_INCOMPLETE', `${arg} has no model.onnx; export it first: headstart export ${arg}`);
  }
}

interface Flags {
  topk?: number;
  json?: boolean;
  provider?: 'auto' | 'cuda' | 'cpu';
}

export const registerPredict: RegisterCommand = (program, io, setExit) => {
  program
    .command('predict')
    .description('classify image files with an exported ONNX model (onnxruntime-node)')
    .argument('<model>', 'model.onnx, or a run directory containing model.onnx')
    .argument('<images...>', 'image files (JPEG, PNG, WebP, …)')
    .option('--topk <n>', 'how many classes to show per image (default 3)', intArg('--topk', 1))
    .option('--provider <p>', 'execution provider: auto | cuda | cpu (default auto: CUDA only when installed and a GPU is visible)')
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nExit codes: 0 all images classified, 1 usage error, 2 model problem or an image could not be classified.\n\nExample:\n  headstart predict runs/flowers photos/rose.jpg photos/tulip.png --topk 2')
    .action(async (modelArg: string, images: string[], flags: Flags) => {
      if (flags.provider !== undefined && !['auto', 'cuda', 'cpu'].includes(flags.provider)) {
        throw new HeadstartError('USAGE', `--provider "${flags.provider}": use auto, cuda or cpu`);
      }
      const { createClassifier } = await import('@headstart/inference/node');
      const modelPath = await resolveModelPath(modelArg);
      const logs: string[] = [];
      const clf = await createClassifier(modelPath, { provider: flags.provider ?? 'auto', logger: (m) => logs.push(m) });
      // The provider note (why CUDA was or was not used) only when a provider was asked for: not on every predict.
      if (!flags.json && flags.provider !== undefined) for (const l of logs) io.stderr.write(`${l}\n`);
      const topK = flags.topk ?? 3;
      const results: Record<string, unknown>[] = [];
      let failed = 0;
      try {
        for (const image of images) {
          try {
            const bytes = await readFile(image).catch((cause: unknown) => {
              throw new HeadstartError('IO', `cannot read ${image}: ${(cause as Error).message}`, { cause });
            });
            const r = await clf.classify(bytes, { topK });
            results.push({ image, predictions: r.predictions, timings: r.timings });
            if (!flags.json) {
              const preds = r.predictions.map((p) => `${p.label} ${(p.probability * 100).toFixed(1)}%`).join('  ');
              io.stdout.write(`${image}  ${preds}\n`);
            }
          } catch (e) {
            if (!isHeadstartError(e)) throw e;
            failed++;
            results.push({ image, error: { code: e.code, message: e.message } });
            if (!flags.json) io.stderr.write(`${image}: error [${e.code}]: ${e.message}\n`);
          }
        }
      } finally {
        await clf.dispose();
      }
      if (flags.json) io.stdout.write(`${JSON.stringify({ model: modelPath, provider: clf.provider, labels: clf.labels, results })}\n`);
      setExit(failed > 0 ? EXIT.problem : EXIT.ok);
    });
};
