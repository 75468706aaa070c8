// Root `prepare` (npm runs it on `npm ci` / `npm install`, for the root package only, even with
// dependency scripts denied): builds the web page into apps/web/dist so `headstart serve` serves
// it at / right after install. Offline (vite + the installed onnxruntime-web); skipped when the
// build is newer than its sources, and when vite is absent (`npm ci --omit=dev`), with a note.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const web = join(root, 'apps', 'web');
const built = join(web, 'dist', 'index.html');

function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(path).reduce((m, name) => Math.max(m, newest(join(path, name))), s.mtimeMs);
}

const sources = [join(web, 'src'), join(web, 'index.html'), join(web, 'vite.config.ts'), join(root, 'package-lock.json')];
if (existsSync(built) && statSync(built).mtimeMs > Math.max(...sources.filter(existsSync).map(newest))) {
  process.exit(0);
}
let vite;
try {
  vite = await import('vite');
} catch {
  console.log('headstart: vite is not installed, so the web page was not built; `headstart serve` will serve the API only');
  process.exit(0);
}
const started = Date.now();
await vite.build({ configFile: join(web, 'vite.config.ts'), logLevel: 'error' });
console.log(`headstart: built the web page into apps/web/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`);
