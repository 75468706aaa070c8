import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSession } from '@headstart/inference/node';

/** Runs an ONNX model on onnxruntime-node (CPU, through inference's session factory) with one NHWC float input. */
export async function runOrt(model: Uint8Array, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const session = await createSession(model);
  try {
    const output = session.outputNames[0]!;
    const out = await session.run({ [session.inputNames[0]!]: { data: x, dims: shape } }, [output]);
    return out[output]!.data;
  } finally {
    await session.release();
  }
}

const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const dir = mkdtempSync(join(tmpdir(), 'hs-onnx-check-'));
let count = 0;

/** onnx.checker.check_model(full_check=True) via Debian python3-onnx; throws with the checker's message. */
export function checkOnnx(model: Uint8Array): void {
  const file = join(dir, `m${count++}.onnx`);
  writeFileSync(file, model);
  execFileSync(python, ['-c', 'import sys, onnx; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', file], { stdio: 'pipe' });
}

/** max |a - b| and whether argmax agrees row by row. */
export function compare(a: Float32Array, b: Float32Array, classes: number): { maxAbs: number; top1: boolean } {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let maxAbs = 0;
  let top1 = true;
  for (let i = 0; i < a.length; i++) maxAbs = Math.max(maxAbs, Math.abs(a[i]! - b[i]!));
  for (let r = 0; r < a.length / classes; r++) {
    const row = (v: Float32Array): number => {
      let best = 0;
      for (let c = 1; c < classes; c++) if (v[r * classes + c]! > v[r * classes + best]!) best = c;
      return best;
    };
    if (row(a) !== row(b)) top1 = false;
  }
  return { maxAbs, top1 };
}
