/** Export of a run trained on a frozen ONNX base: the base file (checked unchanged) composed with the run's head. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { encodeHeadstartMetadata, HeadstartError, ONNX_METADATA_KEYS, type RunManifest } from '@headstart/core';
import { readLayersArtifact } from '../artifact.ts';
import { convertArtifact } from '../convert.ts';
import { encodeModelMessage } from '../onnx/proto.ts';
import { composeOnnxBase, headOpsetFor } from './compose.ts';
import { openOnnxBase } from './open-base.ts';

/** What {@link serialiseOnnxBaseRun} returns (the fields of an ExportResult it knows). */
export interface OnnxBaseExport {
  data: Uint8Array;
  info: { inputName: string; outputName: string; inputShape: number[]; outputShape: number[]; opset: number; foldedBatchNorms: number };
}

/**
 * Composes `manifest.base.onnx` (refused when the file changed since training) with the head in
 * `modelJson` and the run's preprocessing into one ONNX model, metadata as every export has.
 */
export async function serialiseOnnxBaseRun(manifest: RunManifest, modelJson: string, opts: { opset?: number; fp16?: boolean; version: string; sourceRun: string }): Promise<OnnxBaseExport> {
  const onnx = manifest.base.onnx;
  if (!onnx) throw new TypeError('serialiseOnnxBaseRun: the run has no ONNX base');
  if (opts.fp16) throw new HeadstartError('USAGE', `--fp16 does not apply to a run on an ONNX base (${onnx.path}): its weights are carried exactly as they are`);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(onnx.path);
  } catch (cause) {
    throw new HeadstartError('BASE_UNKNOWN', `The run's ONNX base ${onnx.path} cannot be read (${(cause as Error).message}); put the file back to export this run`, { cause });
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== onnx.sha256) {
    throw new HeadstartError('MODEL_INVALID', `The ONNX base ${onnx.path} changed since training (sha256 ${actual}, trained on ${onnx.sha256}); restore that file or train again`, { details: { path: onnx.path } });
  }
  const base = await openOnnxBase(onnx.path, { cut: manifest.base.cut, inputSize: manifest.base.inputSize });
  if (opts.opset !== undefined && opts.opset !== base.opset) {
    throw new HeadstartError('USAGE', `--opset ${opts.opset}: a run on an ONNX base is exported at its base's opset (${base.opset}), whose nodes are carried unchanged`);
  }
  const head = convertArtifact(await readLayersArtifact(modelJson), { opset: headOpsetFor(base.opset) });
  const classes = head.outputShape[head.outputShape.length - 1];
  if (classes !== manifest.labels.length) throw new HeadstartError('SPEC_MISMATCH', `${manifest.labels.length} labels but the head in ${modelJson} outputs ${String(classes)} classes`);
  const metadata = encodeHeadstartMetadata({ version: opts.version, labels: manifest.labels, preprocess: manifest.preprocess, sourceRun: opts.sourceRun, inputSize: base.inputSize });
  const composed = composeOnnxBase(base, head, manifest.preprocess, metadata);
  // Content hash of graph + weights (everything but this key), as every export carries.
  const content = createHash('sha256').update(encodeModelMessage(composed.model)).digest('hex');
  (composed.model['metadataProps'] as { key: string; value: string }[]).push({ key: ONNX_METADATA_KEYS.sha256, value: content });
  const { inputName, outputName, inputShape, outputShape, opset } = composed;
  return { data: encodeModelMessage(composed.model), info: { inputName, outputName, inputShape, outputShape, opset, foldedBatchNorms: head.foldedBatchNorms } };
}
