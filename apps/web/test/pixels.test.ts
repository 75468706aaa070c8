import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build, type Rollup } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PreprocessSpecSchema } from '@headstart/core';

/**
 * The cross-surface golden fixture in Chromium: the web entry's imageToModelPixels (createImageBitmap
 * → RGBA → drop alpha → luma → core's resizeRgb) must give exactly the pixel checksums that core's
 * Node test gets from decodeImage (sharp decode + the same resizeRgb).
 */

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(appDir, '../../packages/core/test/fixtures');
const golden = JSON.parse(readFileSync(join(fixtures, 'cross-surface.json'), 'utf8')) as {
  files: Record<string, { width: number; height: number; sha256: string }>;
  cases: Array<{ file: string; size: [number, number]; resize: 'cover' | 'contain' | 'stretch'; grayscale: boolean; sha256: string; sum: number }>;
};
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let tmp: string;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'headstart-web-pixels-'));
  const out = (await build({
    configFile: false,
    root: appDir,
    logLevel: 'error',
    build: { write: false, minify: false, lib: { entry: join(appDir, 'test/helpers/pixels-entry.ts'), formats: ['iife'], name: 'HeadstartPixels' } },
  })) as Rollup.RollupOutput | Rollup.RollupOutput[];
  const chunk = (Array.isArray(out) ? out[0] : out)?.output.find((o): o is Rollup.OutputChunk => o.type === 'chunk');
  if (!chunk) throw new Error('vite produced no script for the pixel test');
  context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    // Headless Chromium still offers WebGL (SwiftShader): decodeToRgba reads semi-transparent pixels through
    // it exactly. Through a 2D canvas alone, 662 of rgba-23x17's 1173 RGB values came back wrong (by up to 250).
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  page = context.pages()[0] ?? (await context.newPage());
  await page.setContent('<!doctype html><title>pixels</title>');
  await page.addScriptTag({ content: chunk.code });
}, 120_000);

afterAll(async () => {
  await context?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

type Api = {
  decodeToRgba(b: Blob): Promise<{ data: Uint8ClampedArray; width: number; height: number; exact: boolean }>;
  imageToModelPixels(b: Blob, spec: unknown): Promise<Uint8Array>;
};

async function inBrowser(file: string, spec?: unknown): Promise<{ px: Uint8Array; width: number; height: number; exact: boolean }> {
  const b64 = readFileSync(join(fixtures, file)).toString('base64');
  const r = await page.evaluate(
    async ({ b64, spec }) => {
      const api = (globalThis as unknown as { HeadstartPixels: Api }).HeadstartPixels;
      const blob = new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: 'image/png' });
      const rgba = await api.decodeToRgba(blob);
      if (!spec) {
        const rgb: number[] = [];
        for (let i = 0; i < rgba.data.length; i += 4) rgb.push(rgba.data[i]!, rgba.data[i + 1]!, rgba.data[i + 2]!);
        return { px: rgb, width: rgba.width, height: rgba.height, exact: rgba.exact };
      }
      return { px: Array.from(await api.imageToModelPixels(blob, spec)), width: 0, height: 0, exact: rgba.exact };
    },
    { b64, spec },
  );
  return { ...r, px: Uint8Array.from(r.px) };
}

describe('cross-surface golden pixels in Chromium (same checksums as core/Node)', () => {
  it('decodes every fixture to the same native RGB as sharp, semi-transparent pixels included', async () => {
    for (const [file, f] of Object.entries(golden.files)) {
      const got = await inBrowser(file);
      expect([got.width, got.height], file).toEqual([f.width, f.height]);
      expect(got.exact, `${file}: WebGL exact read`).toBe(true);
      expect(sha(got.px), file).toBe(f.sha256);
    }
  });

  for (const c of golden.cases) {
    it(`${c.file} → ${c.size.join('x')} ${c.resize}${c.grayscale ? ' grayscale' : ''}: bit-identical to the Node path`, async () => {
      const spec = PreprocessSpecSchema.parse({ size: c.size, resize: c.resize, grayscale: c.grayscale, mode: 'none' });
      const got = await inBrowser(c.file, spec);
      expect(got.px.length).toBe(c.size[0] * c.size[1] * 3);
      expect(got.px.reduce((a, b) => a + b, 0)).toBe(c.sum);
      expect(sha(got.px)).toBe(c.sha256);
    });
  }
});
