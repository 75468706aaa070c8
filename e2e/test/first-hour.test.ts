/**
 * A new user's first hour, through the real `headstart` command (issue 17): a fresh folder,
 * check, train (exports by default, prints the next commands), train again into the same
 * --out (refused, then --overwrite removes the stale export), eval on other data (its own
 * report), export, predict (no provider note), publish and serve, the page opened in Chromium
 * (registry model pre-selected and loaded, one image classified), serve on a port in use, and an
 * unwritable --out. Tiny images and few steps keep it fast.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { buildWebPage } from './browser.ts';

const CLI = fileURLToPath(new URL('../../apps/cli/bin/headstart.js', import.meta.url));
const TINTS: Record<string, [number, number, number]> = { red: [200, 40, 40], green: [40, 180, 60], blue: [40, 60, 200] };

interface Run {
  code: number;
  out: string;
  err: string;
  seconds: number;
}

function headstart(args: string[], cwd: string, timeoutMs = 240_000): Promise<Run> {
  const t0 = performance.now();
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { cwd, timeout: timeoutMs, maxBuffer: 16 << 20, env: { ...process.env, NO_COLOR: '1', HEADSTART_LOG_DIR: join(cwd, 'logs') } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      done({ code, out: stdout, err: stderr, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

async function images(root: string, perClass: number, seed: number): Promise<void> {
  let s = seed;
  const rand = (): number => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (const [label, tint] of Object.entries(TINTS)) {
    await mkdir(join(root, label), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const px = Buffer.alloc(16 * 16 * 3);
      for (let p = 0; p < px.length; p++) px[p] = Math.max(0, Math.min(255, Math.round((tint[p % 3] as number) + (rand() - 0.5) * 80)));
      await sharp(px, { raw: { width: 16, height: 16, channels: 3 } }).png().toFile(join(root, label, `${i}.png`));
    }
  }
}

const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);
const INSTALLED_PAGE = fileURLToPath(new URL('../../apps/web/dist/index.html', import.meta.url));

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** `headstart serve` as a child process: resolves with the `open http://…/` URL it prints, and a stop that SIGTERMs it and returns its exit code. */
async function serveChild(args: string[], cwd: string): Promise<{ url: string; stderr: () => string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { cwd, env: { ...process.env, NO_COLOR: '1', HEADSTART_LOG_DIR: join(cwd, 'logs') }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no open line in 60 s: ${err}`)), 60_000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      err += chunk;
      const m = /^open (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(err);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1] as string);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${String(code)}) before printing its open line: ${err}`));
    });
  });
  return {
    url,
    stderr: () => err,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('the first hour, command by command', () => {
  it('check → train → train again → eval on other data → export → predict → publish, serve and open the page → serve on a used port → unwritable --out', { timeout: 600_000 }, async () => {
    const home = await mkdtemp(join(tmpdir(), 'headstart-first-hour-'));
    const data = join(home, 'pets');
    await images(data, 8, 1);
    // A class with one image: check leaves it out of training, and train must agree.
    await mkdir(join(data, 'lonely'));
    await copyFile(join(data, 'red', '0.png'), join(data, 'lonely', 'only.png'));
    const holdout = join(home, 'holdout');
    await images(holdout, 3, 2);

    // check: one answer about the classes.
    const check = await headstart(['check', 'pets', '--json'], home);
    expect(check.code).toBe(0);
    const checked = JSON.parse(check.out) as { trainClasses: string[] };
    expect(checked.trainClasses).toEqual(['blue', 'green', 'red']);

    // train: exports by default and prints the next commands.
    const quick = ['--input-size', '32', '--epochs', '2', '--fine-tune-epochs', '0', '--batch-size', '8', '--plain'];
    const train = await headstart(['train', 'pets', '--out', 'runs/pets', ...quick], home);
    expect(train.code, train.err).toBe(0);
    const run = join(home, 'runs', 'pets');
    const manifest = JSON.parse(await readFile(join(run, 'headstart.json'), 'utf8')) as { labels: string[] };
    expect(manifest.labels).toEqual(checked.trainClasses);
    expect(await exists(join(run, 'model.onnx'))).toBe(true);
    expect(train.out).toContain('next:');
    expect(train.out).toContain('npx headstart predict runs/pets/model.onnx pets/blue/0.png');
    expect(train.out).toContain('npx headstart serve --models models');

    // train again into the same --out: refused before any work, the run left as it was.
    const again = await headstart(['train', 'pets', '--out', 'runs/pets', ...quick], home);
    expect(again.code).toBe(2);
    expect(again.err.trim().split('\n')).toHaveLength(1);
    expect(again.err).toMatch(/RUN_EXISTS.*--overwrite.*--resume/);
    expect(await exists(join(run, 'model.onnx'))).toBe(true);
    // --overwrite replaces it: the old export (made from other weights) is gone.
    const over = await headstart(['train', 'pets', '--out', 'runs/pets', ...quick, '--epochs', '1', '--overwrite', '--no-export'], home);
    expect(over.code, over.err).toBe(0);
    expect(await exists(join(run, 'model.onnx'))).toBe(false);
    expect(over.out).toContain('npx headstart export runs/pets');

    // eval on other data: its own report, naming the data, split, images and model hash; the run's report untouched.
    const ownReport = await readFile(join(run, 'report.json'), 'utf8');
    const evaluated = await headstart(['eval', 'runs/pets', '--data', 'holdout'], home);
    expect(evaluated.code, evaluated.err).toBe(0);
    expect(evaluated.out).toMatch(/data .*holdout \(all images, 9 images\) {2}model sha256 [0-9a-f]{12}/);
    expect(evaluated.out).toContain(`report ${join('runs', 'pets', 'report-holdout.html')}`);
    expect(await readFile(join(run, 'report.json'), 'utf8')).toBe(ownReport);
    const html = await readFile(join(run, 'report-holdout.html'), 'utf8');
    for (const s of [holdout, 'model sha256', 'data:image/jpeg;base64,', 'class="best"', '<th>cut</th>']) expect(html).toContain(s);

    // export, then predict without a provider note on stderr.
    const exported = await headstart(['export', 'runs/pets'], home);
    expect(exported.code, exported.err).toBe(0);
    const predicted = await headstart(['predict', 'runs/pets/model.onnx', 'holdout/red/0.png'], home);
    expect(predicted.code, predicted.err).toBe(0);
    expect(predicted.out).toMatch(/holdout\/red\/0\.png {2}\w+ \d+\.\d%/);
    expect(predicted.err).not.toMatch(/cuda|provider/i);

    // publish, serve (the page at / by default) and open it in Chromium: the registry model is
    // pre-selected and loads without a click, and one image dropped on the page shows the labels.
    const published = await headstart(['publish', 'runs/pets', '--models', 'models', '--name', 'pets'], home);
    expect(published.code, published.err).toBe(0);
    expect(published.out).toContain('published pets v1');
    // The installed page (npm ci builds apps/web/dist); a checkout without it gets a fresh build via --web.
    const webArgs = existsSync(INSTALLED_PAGE) ? [] : ['--web', await buildWebPage(join(home, 'web'))];
    const webPort = await freePort();
    const served = await serveChild(['--models', 'models', '--port', String(webPort), ...webArgs], home);
    expect(served.url).toBe(`http://127.0.0.1:${webPort}/`);
    const context = await chromium.launchPersistentContext(join(home, 'chromium-profile'), {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const response = await page.goto(served.url);
      expect(response?.status()).toBe(200);
      await page.waitForSelector('#registry[data-state="ready"]');
      expect(await page.locator('#registry option').allTextContents()).toEqual(['pets (version 1)']);
      expect(await page.inputValue('#registry')).toBe('0');
      await page.waitForSelector('#model-status[data-state="ready"], #model-status[data-state="error"]', { timeout: 60_000 });
      expect(await page.getAttribute('#model-status', 'data-state'), (await page.textContent('#model-status')) ?? '').toBe('ready');
      expect(await page.textContent('#model-status')).toMatch(/^pets v1: 3 classes, input 32×32/);
      await page.setInputFiles('#image-file', join(holdout, 'red', '0.png'));
      await page.waitForSelector('#result-status[data-state="done"], #result-status[data-state="error"]', { timeout: 60_000 });
      expect(await page.getAttribute('#result-status', 'data-state'), (await page.textContent('#result-status')) ?? '').toBe('done');
      const shown = await page.locator('#browser-result li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-label') ?? ''));
      expect([...shown].sort()).toEqual(manifest.labels);
      expect(await page.locator('#browser-result').textContent()).toMatch(/(red|green|blue)/);
    } finally {
      await context.close();
    }
    expect(await served.stop(), served.stderr()).toBe(0);
    expect(served.stderr()).toMatch(/serving 1 model from .*models: pets v1/);

    // serve on a port in use: one line naming the port and a free one, exit 2.
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const serve = await headstart(['serve', '--models', 'models', '--port', String(port)], home, 60_000);
    blocker.close();
    expect(serve.code).toBe(2);
    expect(serve.err).toMatch(new RegExp(`port ${port} is in use`));
    expect(serve.err).not.toMatch(/\n\s+at /);

    // an --out under a file: exit 2 with one line, before TF.js loads.
    await writeFile(join(home, 'afile'), 'x');
    const notDir = await headstart(['train', 'pets', '--out', 'afile/run', ...quick], home);
    expect(notDir.code).toBe(2);
    expect(notDir.err.trim().split('\n')).toEqual([expect.stringMatching(/^error \[IO\]: .*afile\/run.*\(ENOTDIR\)$/)]);
    // nothing crashed along the way: no crash log was written.
    expect(await readdir(join(home, 'logs')).catch(() => [])).toEqual([]);
  });
});
