/**
 * `headstart export`: a run (or any TF.js layers model.json) → one self-contained model.onnx, optionally verified against TF.js.
 * The exporter (protobufjs and its own modules) is imported when the command runs: every other command's start-up would pay for it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadstartError, parseTopology, PreprocessModeSchema, preprocessSpecFor, RunManifestSchema, type PreprocessSpec, type RunManifest } from '@headstart/core';
import { decodeImage } from '@headstart/core-node';
import type { ExportResult } from '@headstart/exporter';
import { intArg, probabilityArg } from '../options/specs.ts';
import { EXIT, type CliIo, type ExitCode } from '../io.ts';
import type { RegisterCommand } from './index.ts';

/** Flags of `headstart export`. */
export interface ExportFlags {
  out?: string;
  opset?: number;
  fp16?: boolean;
  model?: string;
  preprocess?: string;
  labels?: string;
  inputSize?: number;
  featureCut?: string;
  pooling?: string;
  verify?: boolean;
  verifyImages?: string[];
  unknownBelow?: number;
  json?: boolean;
}

/** Labels from a JSON array file or one label per line. */
export async function readLabels(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new HeadstartError('USAGE', `--labels: cannot read ${file}`, { cause: e });
  }
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    const parsed: unknown = JSON.parse(trimmed);
    if (!Array.isArray(parsed) || !parsed.every((l) => typeof l === 'string')) throw new HeadstartError('USAGE', `--labels: ${file} must be a JSON array of strings`);
    return parsed;
  }
  return trimmed.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
}

interface Plan {
  modelJson: string;
  preprocess?: PreprocessSpec;
  featureCut?: string;
  /** The run, when its base is a frozen ONNX model (parity runs that base before the head). */
  onnxBaseRun?: RunManifest;
  run: () => Promise<ExportResult>;
}

async function planRun(runDir: string, flags: ExportFlags): Promise<Plan> {
  const { exportRun } = await import('@headstart/exporter');
  const modelJson = join(runDir, 'model', 'model.json');
  const run = (): Promise<ExportResult> =>
    exportRun(runDir, { ...(flags.out ? { out: flags.out } : {}), ...(flags.opset ? { opset: flags.opset } : {}), fp16: flags.fp16 === true, ...(flags.unknownBelow !== undefined ? { unknownBelow: flags.unknownBelow } : {}) });
  let manifest: RunManifest | undefined;
  try {
    manifest = RunManifestSchema.parse(JSON.parse(await readFile(join(runDir, 'headstart.json'), 'utf8')));
  } catch {
    manifest = undefined; // exportRun reports what is wrong with the run, with its own error code
  }
  return { modelJson, ...(manifest ? { preprocess: manifest.preprocess } : {}), ...(manifest?.base.onnx ? { onnxBaseRun: manifest } : {}), run };
}

async function planModel(modelJson: string, flags: ExportFlags): Promise<Plan> {
  const { exportArtifact, readLayersArtifact } = await import('@headstart/exporter');
  const artifact = await readLayersArtifact(modelJson);
  const shape = parseTopology(artifact.modelTopology, modelJson).input.shape;
  const size: [number, number] | undefined = flags.inputSize ? [flags.inputSize, flags.inputSize] : typeof shape[1] === 'number' && typeof shape[2] === 'number' ? [shape[1], shape[2]] : undefined;
  let preprocess: PreprocessSpec | undefined;
  if (flags.preprocess) {
    const mode = PreprocessModeSchema.safeParse(flags.preprocess);
    if (!mode.success) throw new HeadstartError('USAGE', `--preprocess: '${flags.preprocess}' is not one of tf, torch, caffe, none`);
    if (!size) throw new HeadstartError('USAGE', `${modelJson} has no fixed input size: give --input-size`);
    preprocess = preprocessSpecFor(mode.data, size);
  }
  const labels = flags.labels ? await readLabels(flags.labels) : undefined;
  const pooling = flags.pooling ?? 'none';
  if (!['avg', 'max', 'none'].includes(pooling)) throw new HeadstartError('USAGE', `--pooling: '${pooling}' is not one of avg, max, none`);
  const out = flags.out ?? modelJson.replace(/\.json$/, '') + '.onnx';
  const run = (): Promise<ExportResult> =>
    exportArtifact(artifact, {
      out,
      ...(preprocess ? { preprocess } : {}),
      ...(labels ? { labels } : {}),
      ...(flags.opset ? { opset: flags.opset } : {}),
      fp16: flags.fp16 === true,
      ...(size && flags.inputSize ? { inputSize: size } : {}),
      ...(flags.featureCut ? { featureExtractor: { cut: flags.featureCut, pooling: pooling as 'avg' | 'max' | 'none' } } : {}),
      sourceRun: modelJson,
      ...(flags.unknownBelow !== undefined ? { unknownBelow: flags.unknownBelow } : {}),
    });
  return { modelJson, ...(preprocess ? { preprocess } : {}), ...(flags.featureCut && pooling === 'none' ? { featureCut: flags.featureCut } : {}), run };
}

async function verifyImages(files: string[], spec: PreprocessSpec | undefined, size: [number, number]): Promise<{ data: Uint8Array; count: number }> {
  const chosen = files.slice(0, 8);
  const data = new Uint8Array(chosen.length * size[0] * size[1] * 3);
  for (const [i, f] of chosen.entries()) {
    const img = await decodeImage(await readFile(f), { size, resize: spec?.resize ?? 'cover', source: f });
    data.set(img.data, i * size[0] * size[1] * 3);
  }
  return { data, count: chosen.length };
}

/** Runs the export (and the parity check when asked); writes a summary; returns the exit code. */
export async function runExport(runDir: string | undefined, flags: ExportFlags, io: CliIo): Promise<ExitCode> {
  if (flags.opset !== undefined && (flags.opset < 13 || flags.opset > 21)) throw new HeadstartError('USAGE', `--opset ${flags.opset}: use 13..21 (default 17)`);
  if (runDir && flags.model) throw new HeadstartError('USAGE', 'give either <runDir> or --model <model.json>, not both');
  if (!runDir && !flags.model) throw new HeadstartError('USAGE', 'nothing to export: give <runDir> or --model <model.json>');
  if (runDir && (flags.preprocess || flags.labels || flags.inputSize || flags.featureCut)) {
    throw new HeadstartError('USAGE', '--preprocess, --labels, --input-size and --feature-cut apply to --model; a run carries its own');
  }
  const plan = runDir ? await planRun(runDir, flags) : await planModel(flags.model!, flags);
  const result = await plan.run();
  const summary: Record<string, unknown> = { ...result };
  const lines = [
    `wrote ${result.path} (${(result.bytes / 1e6).toFixed(2)} MB, opset ${result.opset}${flags.fp16 ? ', fp16 weights' : ''})`,
    `  input ${result.inputName} ${JSON.stringify(result.inputShape)} → output ${result.outputName} ${JSON.stringify(result.outputShape)}; ${result.foldedBatchNorms} BatchNorms folded`,
    `  sha256 ${result.sha256}`,
    'shape' in result.cam ? `  Grad-CAM output cam ${JSON.stringify(result.cam.shape)} (headstart explain, the web page's "why" view)` : `  no Grad-CAM output: ${result.cam.absent}`,
  ];
  if (flags.verify) {
    const [, h, w] = result.inputShape;
    const images = flags.verifyImages?.length ? await verifyImages(flags.verifyImages, plan.preprocess, [h!, w!]) : undefined;
    // The parity check lives with TF.js (the trainer); loaded only when asked for.
    const { verifyExport } = await import('@headstart/trainer/parity');
    const report = await verifyExport({
      modelJson: plan.modelJson,
      onnx: result.path,
      ...(plan.preprocess ? { preprocess: plan.preprocess } : {}),
      ...(images ? { images } : {}),
      fp16: flags.fp16 === true,
      ...(plan.featureCut ? { featureCut: plan.featureCut } : {}),
      ...(plan.onnxBaseRun ? { onnxBaseRun: plan.onnxBaseRun } : {}),
    });
    summary['parity'] = report;
    for (const c of report.cases) lines.push(`  parity ${c.source} batch ${c.batch}: max |Δ| ${c.maxAbsDiff.toExponential(2)}, top-1 ${c.top1Agree ? 'agrees' : 'DIFFERS'}`);
    lines.push(`  parity ${report.ok ? 'OK' : 'FAILED'} (tolerance ${report.tolerance})`);
    io.stdout.write(flags.json ? `${JSON.stringify(summary)}\n` : `${lines.join('\n')}\n`);
    if (!report.ok) throw new HeadstartError('EXPORT_PARITY', `ONNX output differs from TF.js: max |Δ| ${report.maxAbsDiff} > ${report.tolerance} or top-1 differs (${result.path})`);
    return EXIT.ok;
  }
  io.stdout.write(flags.json ? `${JSON.stringify(summary)}\n` : `${lines.join('\n')}\n`);
  return EXIT.ok;
}

export const registerExport: RegisterCommand = (program, io, setExit) => {
  program
    .command('export')
    .description('export a run (or any TF.js layers model.json) to one self-contained ONNX file')
    .argument('[runDir]', 'run directory written by `headstart train` (writes <runDir>/model.onnx)')
    .option('--out <file>', 'where to write the ONNX file')
    .option('--opset <n>', 'ONNX opset, 13..21', intArg('--opset', 1), 17)
    .option('--fp16', 'store weights as float16 (half the size; parity tolerance 2e-2 instead of 1e-4)')
    .option('--model <model.json>', 'export any TF.js layers model instead of a run')
    .option('--preprocess <mode>', 'with --model: preprocessing inside the graph (tf, torch, caffe, none); default none')
    .option('--labels <file>', 'with --model: labels, one per line or a JSON array')
    .option('--input-size <n>', 'with --model: fix a square input size', intArg('--input-size', 1))
    .option('--feature-cut <layer>', 'with --model: export the model up to this layer (output "features")')
    .option('--pooling <p>', 'with --feature-cut: avg, max or none (default none: NHWC feature maps)')
    .option('--unknown-below <p>', 'consumers answer "unknown" when the top probability is below p (ONNX metadata; for a run also stored in its headstart.json); default: the run\'s own, else never', probabilityArg('--unknown-below'))
    .option('--verify', 'check the file against TF.js (cpu) on random pixels at batch 1 and 8')
    .option('--verify-images <files...>', 'with --verify: also compare on these images (up to 8)')
    .option('--json', 'print the result as one JSON object')
    .addHelpText(
      'after',
      [
        '',
        'Exit codes: 0 written (and verified), 1 usage error, 2 model or data problem (incl. failed parity).',
        '',
        'Examples:',
        '  headstart export runs/flowers --verify',
        '  headstart export runs/flowers --out flowers-fp16.onnx --fp16',
        '  headstart export --model path/model.json --preprocess tf --labels labels.txt --out model.onnx',
      ].join('\n'),
    )
    .action(async (runDir: string | undefined, flags: ExportFlags) => {
      setExit(await runExport(runDir, flags, io));
    });
};
