import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

/**
 * The page loads onnxruntime-web's non-bundled build (condition `onnxruntime-web-use-extern-wasm`),
 * which fetches its .mjs/.wasm runtime from `ort.env.wasm.wasmPaths`; this plugin copies exactly the
 * installed version's files into `dist/ort/` (and serves them in dev) so the app never needs a CDN.
 */
const require = createRequire(import.meta.url);
const ortDist = dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm'));
/** The runtime files of ort.min.mjs (WebGPU via JSEP + wasm). */
export const ORT_FILES = ['ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs'];

const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

function ortAssets(): Plugin {
  return {
    name: 'headstart-ort-assets',
    generateBundle() {
      for (const file of ORT_FILES) {
        this.emitFile({ type: 'asset', fileName: `ort/${file}`, source: readFileSync(join(ortDist, file)) });
      }
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const m = /^\/ort\/([\w.-]+)$/.exec((req.url ?? '').split('?')[0] ?? '');
        const file = m?.[1];
        if (!file || !ORT_FILES.includes(file)) return next();
        const path = join(ortDist, file);
        res.setHeader('Content-Type', file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        res.setHeader('Content-Length', String(statSync(path).size));
        res.end(readFileSync(path));
      });
    },
  };
}

/** `vite` dev server only: forward the API routes to a running `headstart serve` (e.g. http://127.0.0.1:8080). */
const apiUrl = process.env['HEADSTART_API_URL'];

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [ortAssets()],
  resolve: { conditions: [...defaultClientConditions, 'onnxruntime-web-use-extern-wasm'] },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  server: { headers: isolationHeaders, ...(apiUrl ? { proxy: { '/v1': apiUrl } } : {}) },
  preview: { headers: isolationHeaders },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 600,
  },
});
