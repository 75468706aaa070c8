import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// The union package registers every op's gradient (tfjs-core's main entry registers none) and the
// cpu backend; it shares the one tfjs-core copy (see tfjs-instance.ts).
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { BackendNameSchema, HeadstartError, type BackendName } from '@headstart/core';
import { registerFastOps } from '../kernels/fast-ops.ts';
import { registerWasmConvGradients } from '../kernels/register-wasm.ts';
import { withoutForeignCrashHandlers } from './process-handlers.ts';

/** A TF.js backend Headstart can train on, fastest first (core's manifest schema defines the names). */
export type { BackendName };

/** Which backend was chosen, what was tried on the way, and where conv gradients come from. */
export interface BackendReport {
  name: BackendName;
  tried: { name: BackendName; ok: boolean; error?: string }[];
  convGradients: 'native' | 'headstart-wasm' | 'tfjs-cpu';
  /** The tfjs backend id now active (`tf.getBackend()`). */
  tfjsBackend: string;
  /** wasm only: SIMD build in use, and XNNPACK threads (the threaded build cannot start in Node). */
  wasm?: { simd: boolean; threads: number };
}

/** The order `selectBackend('auto')` tries. */
export const BACKEND_ORDER: readonly BackendName[] = BackendNameSchema.options;

const require = createRequire(import.meta.url);

const NATIVE_PACKAGE: Record<'tensorflow-gpu' | 'tensorflow', string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

function message(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0]?.trim() ?? m;
}

/** How to make a backend available, for error messages. */
export function backendFixHint(name: BackendName): string {
  if (name === 'tensorflow' || name === 'tensorflow-gpu') {
    const pkg = NATIVE_PACKAGE[name];
    return (
      `${pkg} needs its native binding and libtensorflow${name === 'tensorflow-gpu' ? ' (CUDA build, NVIDIA GPU and driver)' : ''}: ` +
      `approve its install script (set "${pkg}": true under "allowScripts" in package.json, or ` +
      `\`npm install-scripts approve ${pkg}\`), then \`npm rebuild ${pkg}\` with network access to download libtensorflow`
    );
  }
  if (name === 'wasm') return 'reinstall @tensorflow/tfjs-backend-wasm (its dist/*.wasm files must be present)';
  return 'reinstall @tensorflow/tfjs-backend-cpu';
}

/**
 * The native packages register their kernels on import and only then fail to find their binding,
 * which floods stderr with "kernel already registered" lines when the next one is tried; so look
 * for the built binding (`lib/napi-v<N>/tfjs_binding.node`, written by its install script) first.
 */
function assertNativeBinding(spec: string): void {
  const dir = path.dirname(require.resolve(`${spec}/package.json`));
  const lib = path.join(dir, 'lib');
  const built = existsSync(lib) && readdirSync(lib).some((d) => d.startsWith('napi-v') && existsSync(path.join(lib, d, 'tfjs_binding.node')));
  if (!built) throw new Error(`${spec} is installed but its native binding (lib/napi-v<N>/tfjs_binding.node) was never built: its install script did not run`);
}

async function loadNative(name: 'tensorflow-gpu' | 'tensorflow'): Promise<void> {
  const spec: string = NATIVE_PACKAGE[name];
  assertNativeBinding(spec);
  // Loaded by a computed specifier: the package is optional and must never be required statically.
  const mod: unknown = require(spec);
  if (mod === undefined || mod === null) throw new Error(`${spec} loaded nothing`);
  // Both native packages register the tfjs backend id 'tensorflow'.
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`${spec} loaded but the 'tensorflow' backend failed to initialise`);
}

let wasmPathsSet = false;

/** Points the wasm backend at the package's own .wasm files (file paths work in Node). */
function configureWasmPaths(): void {
  if (wasmPathsSet) return;
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  setWasmPaths({
    'tfjs-backend-wasm.wasm': path.join(dist, 'tfjs-backend-wasm.wasm'),
    'tfjs-backend-wasm-simd.wasm': path.join(dist, 'tfjs-backend-wasm-simd.wasm'),
    'tfjs-backend-wasm-threaded-simd.wasm': path.join(dist, 'tfjs-backend-wasm-threaded-simd.wasm'),
  });
  wasmPathsSet = true;
}

async function loadWasm(): Promise<BackendReport['wasm']> {
  configureWasmPaths();
  registerWasmConvGradients();
  registerFastOps();
  // The emscripten glue would install crash handlers of its own over the application's.
  if (!(await withoutForeignCrashHandlers(() => tf.setBackend('wasm')))) throw new Error("the 'wasm' backend failed to initialise");
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  // The threaded build needs blob-URL workers, which Node's worker_threads refuse (ERR_WORKER_PATH),
  // and tfjs reports no thread support in Node, so the SIMD build runs single-threaded.
  return { simd, threads: 1 };
}

async function tryBackend(name: BackendName): Promise<BackendReport['wasm'] | undefined> {
  if (name === 'tensorflow-gpu' || name === 'tensorflow') {
    await loadNative(name);
    return undefined;
  }
  if (name === 'wasm') return loadWasm();
  registerFastOps();
  if (!(await tf.setBackend('cpu'))) throw new Error("the 'cpu' backend failed to initialise");
  return undefined;
}

function gradientsFor(name: BackendName): BackendReport['convGradients'] {
  if (name === 'wasm') return 'headstart-wasm';
  if (name === 'cpu') return 'tfjs-cpu';
  return 'native';
}

/**
 * Activates a TF.js backend: with 'auto' (default) the first of tensorflow-gpu → tensorflow →
 * wasm → cpu that loads and initialises; otherwise exactly the one asked for, or a
 * HeadstartError BACKEND_UNAVAILABLE saying why and how to fix it.
 */
export async function selectBackend(preferred: BackendName | 'auto' = 'auto'): Promise<BackendReport> {
  const order = preferred === 'auto' ? BACKEND_ORDER : [preferred];
  const tried: BackendReport['tried'] = [];
  for (const name of order) {
    try {
      const wasm = await tryBackend(name);
      tried.push({ name, ok: true });
      const report: BackendReport = { name, tried, convGradients: gradientsFor(name), tfjsBackend: tf.getBackend() };
      if (wasm) report.wasm = wasm;
      return report;
    } catch (e) {
      tried.push({ name, ok: false, error: message(e) });
    }
  }
  const last = tried[tried.length - 1];
  const why = tried.map((t) => `${t.name}: ${t.error ?? 'failed'}`).join('; ');
  const fix = preferred === 'auto' ? 'reinstall the @tensorflow/tfjs-backend-* packages' : backendFixHint(preferred);
  throw new HeadstartError(
    'BACKEND_UNAVAILABLE',
    `TF.js backend '${preferred}' is not available (${why}). To fix: ${fix}.` +
      (preferred === 'auto' ? '' : " Or use --backend auto to take the best one that loads."),
    { details: { preferred, tried, lastError: last?.error } },
  );
}
