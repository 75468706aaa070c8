/**
 * @headstart/trainer/parity — TF.js vs onnxruntime-node parity harness for exported files.
 * Node only; loads TF.js (cpu backend) lazily; the session comes from @headstart/inference.
 * @example
 *   const report = await verifyExport({ modelJson: 'runs/x/model/model.json', onnx: 'runs/x/model.onnx', preprocess });
 *   if (!report.ok) throw new Error(`max |Δ| ${report.maxAbsDiff}`);
 */
export { verifyExport, compareRows, type ParityReport, type ParityCase, type VerifyOptions } from './verify.ts';
