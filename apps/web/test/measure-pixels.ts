// Measurement (not a test): Node vs Chromium model-input pixels on real Fashion-MNIST images,
// and the old sharp lanczos3 path for comparison. Run: cd apps/web && npx tsx test/measure-pixels.ts [N]
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import sharp from 'sharp';
import { chromium } from 'playwright-core';
import { build, type Rollup } from 'vite';
import { parseIdx, PreprocessSpecSchema } from '@headstart/core';
import { decodeForModel } from '@headstart/inference/node';
const N = Number(process.argv[2] ?? 20);
const idx = parseIdx(gunzipSync(readFileSync('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz')));
const spec = PreprocessSpecSchema.parse({ size: [224, 224], resize: 'cover', mode: 'tf' });
const out = (await build({ configFile: false, root: process.cwd(), logLevel: 'error', build: { write: false, minify: false, lib: { entry: join(process.cwd(), 'test/helpers/pixels-entry.ts'), formats: ['iife'], name: 'HP' } } })) as Rollup.RollupOutput | Rollup.RollupOutput[];
const code = (Array.isArray(out) ? out[0]! : out).output.find((o): o is Rollup.OutputChunk => o.type === 'chunk')!.code;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--headless', '--disable-gpu'] });
const page = await browser.newPage();
await page.setContent('<!doctype html>');
await page.addScriptTag({ content: code });
let maxDiff = 0, identical = 0, oldMax = 0;
for (let i = 0; i < N; i++) {
  const png = await sharp(idx.data.subarray(i * 784, (i + 1) * 784), { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
  const node = await decodeForModel(png, spec);
  const web = Uint8Array.from(await page.evaluate(async ({ b64, spec }) => {
    const blob = new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: 'image/png' });
    const api = (globalThis as unknown as { HP: { imageToModelPixels(b: Blob, s: unknown): Promise<Uint8Array> } }).HP;
    return Array.from(await api.imageToModelPixels(blob, spec));
  }, { b64: png.toString('base64'), spec }));
  const old = new Uint8Array(await sharp(png).resize(224, 224, { fit: 'cover', kernel: 'lanczos3' }).toColourspace('srgb').removeAlpha().raw().toBuffer());
  let d = 0, od = 0;
  for (let k = 0; k < node.length; k++) { d = Math.max(d, Math.abs(node[k]! - web[k]!)); od = Math.max(od, Math.abs(old[k]! - web[k]!)); }
  maxDiff = Math.max(maxDiff, d); oldMax = Math.max(oldMax, od); if (d === 0 && node.length === web.length) identical++;
}
process.stdout.write(`FMNIST t10k[0..${N}) 28→224 cover: Node decodeForModel vs Chromium imageToModelPixels: ${identical}/${N} bit-identical, max |Δpixel| ${maxDiff}; old sharp lanczos3 path vs browser: max |Δpixel| ${oldMax}\n`);
await browser.close();
