import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';

/** Which execution provider a caller asks for; 'auto' = CUDA when loadable and a GPU is visible, else CPU. */
export type NodeProvider = 'auto' | 'cuda' | 'cpu';

/** Facts behind the provider choice, for logs and tests. */
export interface CudaProbe {
  compiledIn: boolean;
  providerLibrary: string | undefined;
  gpuVisible: boolean;
}

const require = createRequire(import.meta.url);

/** Looks for onnxruntime-node's CUDA provider library (a separate download) and an NVIDIA device node. */
export function probeCuda(): CudaProbe {
  const compiledIn = ort.listSupportedBackends().some((b) => b.name === 'cuda');
  let providerLibrary: string | undefined;
  try {
    const root = dirname(require.resolve('onnxruntime-node/package.json'));
    const dir = join(root, 'bin', 'napi-v6', process.platform, process.arch);
    const lib = join(dir, process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so');
    providerLibrary = existsSync(lib) ? lib : undefined;
  } catch {
    providerLibrary = undefined;
  }
  const gpuVisible = process.platform === 'linux' ? existsSync('/dev/nvidiactl') || existsSync('/proc/driver/nvidia/gpus') : false;
  return { compiledIn, providerLibrary, gpuVisible };
}

/** Ordered execution providers to try for a request, with the reason (for the log line). */
export function planProviders(requested: NodeProvider, probe: CudaProbe): { providers: ('cuda' | 'cpu')[]; reason: string } {
  if (requested === 'cpu') return { providers: ['cpu'], reason: 'cpu requested' };
  const missing: string[] = [];
  if (!probe.compiledIn) missing.push('this onnxruntime-node build has no CUDA support');
  if (probe.providerLibrary === undefined) missing.push('the CUDA provider library is not installed (onnxruntime-node downloads it at install time only when asked)');
  if (!probe.gpuVisible) missing.push('no NVIDIA GPU is visible');
  if (missing.length === 0) return { providers: ['cuda', 'cpu'], reason: `${requested === 'cuda' ? 'cuda requested' : 'auto'}: CUDA provider and GPU found` };
  return { providers: ['cpu'], reason: `${requested === 'cuda' ? 'cuda requested but' : 'auto:'} ${missing.join('; ')} — using cpu` };
}
