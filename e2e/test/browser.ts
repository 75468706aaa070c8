/**
 * A small driver for the web page (apps/web): builds it with Vite and classifies image files in
 * Debian Chromium through playwright-core, reading answers from the page's stable hooks
 * (`#registry`, `#load-registry`, `#model-status`, `#image-file`, `#result-status`, `#browser-result li`).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import type { SurfaceAnswer } from '../src/agreement.ts';

const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../apps/web');

/** Builds the page from apps/web into `outDir` (fresh, so the test never runs a stale dist). */
export async function buildWebPage(outDir: string): Promise<string> {
  await build({ configFile: join(WEB_DIR, 'vite.config.ts'), root: WEB_DIR, logLevel: 'error', build: { outDir, emptyOutDir: true } });
  return outDir;
}

/** The page opened in headless Chromium, with the registry model `modelName` loaded. */
export interface PageDriver {
  /** Status text once the model is ready (e.g. "… 4 classes, input 64×64 … running on wasm (2 threads)"). */
  modelStatus: string;
  classify(file: string): Promise<SurfaceAnswer>;
  close(): Promise<void>;
}

/** Debian Chromium, headless and offline-quiet, with its profile in `profileDir` (a desktop-sized viewport). */
export function launchChromium(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1100, height: 900 },
  });
}

/** Opens `origin` in Chromium, loads `modelName` from the API registry and waits until it is ready. */
export async function openPage(origin: string, modelName: string, profileDir: string): Promise<PageDriver> {
  const context = await launchChromium(profileDir);
  try {
    const page: Page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${origin}/`);
    await page.waitForSelector('#registry[data-state="ready"]');
    const options = await page.locator('#registry option').allTextContents();
    const index = options.findIndex((o) => o.includes(modelName));
    if (index < 0) throw new Error(`the page's registry list has no ${modelName}: ${JSON.stringify(options)}`);
    await page.selectOption('#registry', { index });
    await page.click('#load-registry');
    await page.waitForSelector('#model-status[data-state="ready"], #model-status[data-state="error"]', { timeout: 60_000 });
    const modelStatus = (await page.textContent('#model-status')) ?? '';
    if ((await page.getAttribute('#model-status', 'data-state')) !== 'ready') throw new Error(`the page could not load ${modelName}: ${modelStatus}`);
    return {
      modelStatus,
      async classify(file: string): Promise<SurfaceAnswer> {
        const name = file.split('/').pop() ?? file;
        await page.setInputFiles('#image-file', file);
        await page.waitForFunction(
          (n) => {
            const s = document.getElementById('result-status');
            return s?.dataset['state'] !== 'running' && (s?.textContent ?? '').startsWith(n);
          },
          name,
          { timeout: 60_000 },
        );
        const state = await page.getAttribute('#result-status', 'data-state');
        if (state !== 'done') throw new Error(`the page did not classify ${file}: ${(await page.textContent('#result-status')) ?? ''}`);
        const rows = await page.locator('#browser-result li').evaluateAll((lis) =>
          lis.map((li) => ({ label: li.getAttribute('data-label') ?? '', probability: Number(li.getAttribute('data-probability')) })),
        );
        const probabilities: Record<string, number> = {};
        for (const r of rows) probabilities[r.label] = r.probability;
        const answer = await page.getAttribute('#result-status', 'data-answer');
        return { top1: rows[0]?.label ?? '', probabilities, ...(answer === null ? {} : { answer }) };
      },
      close: () => context.close(),
    };
  } catch (e) {
    await context.close();
    throw e;
  }
}
