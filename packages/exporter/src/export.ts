import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { encodeHeadstartMetadata, HeadstartError, ONNX_METADATA_KEYS, PreprocessSpecSchema, RunManifestSchema } from '@headstart/core';
import type { z } from 'zod';
import type { ArtifactSource } from '@headstart/core';
import { verifyRunWeights } from '@headstart/core-node';
import { decodeArtifact, readLayersArtifact, type LayersArtifact } from './artifact.ts';
import { convertArtifact } from './convert.ts';
import { encodeModel } from './onnx/proto.ts';
import { serialiseOnnxBaseRun } from './onnx-base/export-run.ts';

/** The exporter's version, written to `headstart.version`. */
export const EXPORTER_VERSION = '0.1.0';

/** Parity tolerances: max |Δprobability| vs TF.js for fp32 exports, and the looser one for `fp16` weights. */
export const FP32_TOLERANCE = 1e-4;
export const FP16_TOLERANCE = 2e-2;

/** What an export wrote. */
export interface ExportResult {
  path: string;
  bytes: number;
  opset: number;
  /** sha256 of the written file. */
  sha256: string;
  inputName: string;
  outputName: string;
  inputShape: number[];
  outputShape: number[];
  foldedBatchNorms: number;
  /** The Grad-CAM output `cam` ([N, h, w, classes]) or why the model has none. */
  cam: { shape: number[] } | { absent: string };
}

/** Options shared by every export entry point. */
export interface ExportOptions {
  out: string;
  /** PreprocessSpec (defaults filled in, e.g. `{ size: [224, 224], mode: 'tf' }`); none: no preprocessing in the graph. */
  preprocess?: z.input<typeof PreprocessSpecSchema>;
  labels?: string[];
  opset?: number;
  fp16?: boolean;
  featureExtractor?: { cut: string; pooling?: 'avg' | 'max' | 'none' };
  /** Fixes the input [height, width] of a model whose topology leaves it open. */
  inputSize?: [number, number];
  /** Recorded as `headstart.source_run`. */
  sourceRun?: string;
  /** Add the Grad-CAM output `cam` when the head allows it exactly (default true; see cam.ts). */
  cam?: boolean;
  /** Recorded as `headstart.unknown_below`: consumers answer "unknown" below this top-1 probability. */
  unknownBelow?: number;
}

/** Exports any TF.js layers model.json (no preprocessing in the graph unless `preprocess` is given). */
export async function exportLayersModel(modelJson: string, opts: ExportOptions): Promise<ExportResult> {
  const artifact = await readLayersArtifact(modelJson);
  return exportArtifact(artifact, { sourceRun: opts.sourceRun ?? resolve(modelJson), ...opts });
}

/** Exports an in-memory artifact (tf.io.ModelArtifacts shape, or an already decoded one). */
export async function exportArtifact(source: ArtifactSource | LayersArtifact, opts: ExportOptions): Promise<ExportResult> {
  const bytes = serialiseArtifact(source, opts);
  await writeFileAtomic(opts.out, bytes.data);
  return { ...bytes.info, path: opts.out, bytes: bytes.data.byteLength, sha256: sha256(bytes.data) };
}

/** Converts to ONNX bytes without writing (used by the file exporters and the parity harness). */
export function serialiseArtifact(
  source: ArtifactSource | LayersArtifact,
  opts: Omit<ExportOptions, 'out'>,
): { data: Uint8Array; info: Omit<ExportResult, 'path' | 'bytes' | 'sha256'> } {
  const artifact = 'weights' in source ? source : decodeArtifact(source);
  let preprocess;
  if (opts.preprocess) {
    const parsed = PreprocessSpecSchema.safeParse(opts.preprocess);
    if (!parsed.success) throw new HeadstartError('SPEC_INVALID', `preprocess spec for ${artifact.origin} is invalid: ${parsed.error.message}`, { cause: parsed.error });
    preprocess = parsed.data;
  }
  const entries = encodeHeadstartMetadata({
    version: EXPORTER_VERSION,
    ...(opts.labels ? { labels: opts.labels } : {}),
    ...(preprocess ? { preprocess } : {}),
    ...(opts.sourceRun ? { sourceRun: opts.sourceRun } : {}),
    ...(opts.featureExtractor ? { featureCut: opts.featureExtractor.cut } : {}),
    ...(opts.unknownBelow !== undefined && !opts.featureExtractor ? { unknownBelow: opts.unknownBelow } : {}),
  });
  const metadata = Object.fromEntries(entries.map((e) => [e.key, e.value]));
  const converted = convertArtifact(artifact, {
    opset: opts.opset,
    fp16: opts.fp16,
    preprocess,
    inputSize: opts.inputSize,
    featureExtractor: opts.featureExtractor,
    metadata,
    ...(opts.cam !== undefined ? { cam: opts.cam } : {}),
  });
  const [, h, w] = converted.inputShape;
  if (h !== undefined && w !== undefined && h > 0 && w > 0) converted.model.metadataProps.push(...encodeHeadstartMetadata({ inputSize: [h, w] }));
  const outDim = converted.outputShape[converted.outputShape.length - 1] ?? -1;
  if (opts.labels && !opts.featureExtractor && opts.labels.length !== outDim) {
    throw new HeadstartError('SPEC_MISMATCH', `${opts.labels.length} labels given but the model outputs ${outDim} classes (${artifact.origin})`);
  }
  // Content hash of graph + weights (everything but this key), so consumers can identify the model.
  const content = sha256(encodeModel(converted.model));
  converted.model.metadataProps.push({ key: ONNX_METADATA_KEYS.sha256, value: content });
  const data = encodeModel(converted.model);
  const { inputName, outputName, inputShape, outputShape, opset, foldedBatchNorms, cam } = converted;
  return { data, info: { inputName, outputName, inputShape, outputShape, opset, foldedBatchNorms, cam } };
}

/**
 * Exports a training run: reads runDir/headstart.json and runDir/model/, writes runDir/model.onnx (or opts.out).
 * A run on a frozen ONNX base composes that base (unchanged, up to its cut) with the trained head.
 */
export async function exportRun(runDir: string, opts: { out?: string; opset?: number; fp16?: boolean; unknownBelow?: number } = {}): Promise<ExportResult> {
  const manifestPath = join(runDir, 'headstart.json');
  let raw: string;
  try {
    raw = await readFile(manifestPath, 'utf8');
  } catch (e) {
    throw new HeadstartError('RUN_NOT_FOUND', `no run at ${runDir}: ${manifestPath} cannot be read`, { cause: e });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new HeadstartError('MANIFEST_INVALID', `${manifestPath} is not valid JSON`, { cause: e });
  }
  const manifest = RunManifestSchema.safeParse(parsed);
  if (!manifest.success) {
    throw new HeadstartError('MANIFEST_INVALID', `${manifestPath} does not match headstart-run@1: ${manifest.error.message}`, { cause: manifest.error });
  }
  await verifyRunWeights(runDir, manifest.data);
  const modelJson = join(runDir, 'model', 'model.json');
  try {
    await stat(modelJson);
  } catch (e) {
    throw new HeadstartError('RUN_INCOMPLETE', `run ${runDir} has no trained model at ${modelJson}; finish or resume training first`, { cause: e });
  }
  const m = manifest.data;
  if (m.base.onnx) {
    const out = opts.out ?? join(runDir, 'model.onnx');
    const { data, info } = await serialiseOnnxBaseRun(m, modelJson, { ...opts, version: EXPORTER_VERSION, sourceRun: m.name || basename(resolve(runDir)) });
    await writeFileAtomic(out, data);
    return { cam: { absent: 'the run is on a frozen ONNX base: no Grad-CAM output is added' }, ...info, path: out, bytes: data.byteLength, sha256: sha256(data) };
  }
  const unknownBelow = opts.unknownBelow ?? m.unknown?.below;
  const result = await exportLayersModel(modelJson, {
    out: opts.out ?? join(runDir, 'model.onnx'),
    opset: opts.opset,
    fp16: opts.fp16,
    preprocess: m.preprocess,
    labels: m.labels,
    sourceRun: m.name || basename(resolve(runDir)),
    ...(unknownBelow !== undefined ? { unknownBelow } : {}),
  });
  // A threshold given at export is the run's threshold from now on (headstart.json says what the ONNX file says).
  if (opts.unknownBelow !== undefined && opts.unknownBelow !== m.unknown?.below) {
    const next = { ...(parsed as Record<string, unknown>), unknown: { below: opts.unknownBelow } };
    await writeFileAtomic(manifestPath, new TextEncoder().encode(`${JSON.stringify(next, null, 2)}\n`));
  }
  return result;
}

/** sha256 hex of bytes. */
export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new HeadstartError('IO', `cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
}
