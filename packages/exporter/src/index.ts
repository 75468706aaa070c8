/**
 * @headstart/exporter — TF.js layers model → self-contained ONNX, written directly (no Python, no TF runtime).
 * @example
 *   import { exportRun, exportLayersModel } from '@headstart/exporter';
 *   const r = await exportRun('runs/flowers');             // writes runs/flowers/model.onnx
 *   await exportLayersModel('model.json', { out: 'm.onnx', preprocess: { size: [224, 224], mode: 'tf' } });
 */
export { readLayersArtifact, decodeArtifact, type LayersArtifact } from './artifact.ts';
export { convertArtifact, irVersionFor, type ConvertOptions, type ConvertedModel } from './convert.ts';
export { exportRun, exportLayersModel, exportArtifact, serialiseArtifact, sha256, EXPORTER_VERSION, FP32_TOLERANCE, FP16_TOLERANCE, type ExportResult, type ExportOptions } from './export.ts';
export { SUPPORTED_LAYERS } from './layers/registry.ts';
export { encodeModel, decodeModel, decodeModelMessage, encodeModelMessage, DataType, type ModelMsg, type NodeMsg, type TensorMsg, type ValueInfoMsg } from './onnx/proto.ts';
export { GraphBuilder, MS_DOMAIN, type AttrValue } from './onnx/graph-builder.ts';
export { openOnnxBase, onnxBaseBytes, isOnnxPath, type OnnxBase, type OnnxLayout, type OpenOnnxBaseOptions } from './onnx-base/open-base.ts';
export { composeOnnxBase, headOpsetFor, type ComposedModel } from './onnx-base/compose.ts';
export { serialiseOnnxBaseRun } from './onnx-base/export-run.ts';
