/**
 * `headstart predict <model.onnx|runDir> <images...> [--top-k N] [--json]`: classify image files with an exported model;
 * a folder, glob or CSV (or `--out`/`--queue`) switches to bulk prediction (see ../bulk/bulk-predict.ts).
 */
import { readFile, stat } from 'node:fs/promises';
import { Option } from 'commander';
import { join } from 'node:path';
import { BULK_DEFAULTS, HeadstartError, isHeadstartError } from '@headstart/core';
import { intArg, readTopK, topKOption } from '../options/specs.ts';
import { bulkPredict } from '../bulk/bulk-predict.ts';
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

/** Bulk mode: --out or --queue given, or the one argument is a folder, a CSV or a glob pattern. */
async function isBulk(images: string[], flags: Flags): Promise<boolean> {
  if (flags.out !== undefined || flags.queue !== undefined) return true;
  if (images.length !== 1) return false;
  const only = images[0] as string;
  if (only.toLowerCase().endsWith('.csv')) return true;
  const s = await stat(only).catch(() => undefined);
  return s ? s.isDirectory() : /[*?[{]/.test(only);
}

interface Flags {
  topK?: number;
  topk?: number;
  out?: string;
  queue?: string;
  threads?: number;
  chunk?: number;
  json?: boolean;
  tta?: boolean;
  provider?: 'auto' | 'cuda' | 'cpu';
}

export const registerPredict: RegisterCommand = (program, io, setExit) => {
  const cmd = program
    .command('predict')
    .description('classify images with an exported ONNX model (onnxruntime-node): files, or in bulk a folder, glob or CSV')
    .argument('<model>', 'model.onnx, or a run directory containing model.onnx (bulk: also an http(s) URL)')
    .argument('<images...>', 'image files (JPEG, PNG, WebP, …), or one folder / quoted glob / CSV of paths for bulk prediction');
  topKOption(cmd, `how many classes per image (default ${BULK_DEFAULTS.topK})`)
    .option('--out <file>', 'bulk: write results.csv or results.jsonl (path, model hash, top-k); re-running resumes')
    .option('--queue <url>', 'bulk: run on `headstart worker`s through Redis, e.g. redis://127.0.0.1:6379')
    .option('--threads <n>', 'bulk, local: parallel lanes, each reading, decoding and classifying its own chunks on a single-threaded onnxruntime session (default: every core; 1 = single-threaded)', intArg('--threads', 1))
    .addOption(new Option('--chunk <n>', `bulk: files per chunk job (default ${BULK_DEFAULTS.chunkSize})`).argParser(intArg('--chunk', 1)))
    .option('--provider <p>', 'execution provider: auto | cuda | cpu (default auto: CUDA only when installed and a GPU is visible)')
    .option('--tta', 'test-time augmentation: classify each image as 4 views (itself, its mirror, two 90 % crops), probabilities averaged (4× the inference; files only, not bulk)')
    .option('--json', 'print one JSON object (bulk without --out: JSON Lines)')
    .addHelpText(
      'after',
      '\nExit codes: 0 all images classified, 1 usage error, 2 model problem or an image could not be classified.\n\nExamples:\n  headstart predict runs/flowers photos/rose.jpg photos/tulip.png --top-k 2\n  headstart predict runs/flowers photos/ --out results.csv\n  headstart predict runs/flowers "photos/**/*.jpg" --out results.jsonl --queue redis://127.0.0.1:6379',
    )
    .action(async (modelArg: string, images: string[], flags: Flags) => {
      if (flags.provider !== undefined && !['auto', 'cuda', 'cpu'].includes(flags.provider)) {
        throw new HeadstartError('USAGE', `--provider "${flags.provider}": use auto, cuda or cpu`);
      }
      const topK = readTopK(flags) ?? BULK_DEFAULTS.topK;
      if (await isBulk(images, flags)) {
        if (images.length !== 1) throw new HeadstartError('USAGE', `bulk prediction takes one folder, glob or CSV, got ${images.length} arguments`);
        if (flags.tta) throw new HeadstartError('USAGE', '--tta applies to image files, not to bulk prediction (a folder, glob, CSV, --out or --queue): drop --tta or list the files');
        const url = /^https?:\/\//i.test(modelArg);
        const summary = await bulkPredict(
          {
            model: url ? modelArg : await resolveModelPath(modelArg),
            input: images[0] as string,
            topK,
            ...(flags.out ? { out: flags.out } : {}),
            ...(flags.queue ? { queue: flags.queue } : {}),
            ...(flags.threads ? { threads: flags.threads } : {}),
            ...(flags.chunk ? { chunkSize: flags.chunk } : {}),
            ...(flags.provider ? { provider: flags.provider } : {}),
            ...(flags.json ? { json: true } : {}),
          },
          io,
        );
        setExit(summary.failed > 0 ? EXIT.problem : EXIT.ok);
        return;
      }
      const { createClassifier } = await import('@headstart/inference/node');
      const modelPath = await resolveModelPath(modelArg);
      const logs: string[] = [];
      const clf = await createClassifier(modelPath, { provider: flags.provider ?? 'auto', logger: (m) => logs.push(m) });
      // The provider note (why CUDA was or was not used) only when a provider was asked for: not on every predict.
      if (!flags.json && flags.provider !== undefined) for (const l of logs) io.stderr.write(`${l}\n`);
      const results: Record<string, unknown>[] = [];
      let failed = 0;
      try {
        for (const image of images) {
          try {
            const bytes = await readFile(image).catch((cause: unknown) => {
              throw new HeadstartError('IO', `cannot read ${image}: ${(cause as Error).message}`, { cause });
            });
            const r = await clf.classify(bytes, { topK, ...(flags.tta ? { tta: true } : {}) });
            results.push({ image, label: r.label, unknown: r.unknown, predictions: r.predictions, timings: r.timings });
            if (!flags.json) {
              const preds = r.predictions.map((p) => `${p.label} ${(p.probability * 100).toFixed(1)}%`).join('  ');
              io.stdout.write(`${image}  ${r.unknown ? `${r.label} (below ${((clf.unknownBelow ?? 0) * 100).toFixed(0)}%)  ` : ''}${preds}\n`);
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
      if (flags.json) io.stdout.write(`${JSON.stringify({ model: modelPath, provider: clf.provider, labels: clf.labels, unknownBelow: clf.unknownBelow ?? null, ...(flags.tta ? { tta: true } : {}), results })}\n`);
      setExit(failed > 0 ? EXIT.problem : EXIT.ok);
    });
};
