import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { settingsTableMarkdown } from '@headstart/api';
import { makeRegisterServe } from '../src/commands/serve.ts';
import { defaultPorts } from '../src/ports.ts';
import { main } from '../src/main.ts';
import { captureIo } from './fakes.ts';

const run = async (...args: string[]) => {
  const io = captureIo();
  const code = await main(['node', 'headstart', ...args], io);
  return { code, out: io.out(), err: io.err() };
};

describe('headstart serve flags', () => {
  it('docs/api.md lists exactly the flags serve accepts (generated from the config schema)', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../../docs/api.md', import.meta.url)), 'utf8');
    expect(doc).toContain(settingsTableMarkdown());
    const table = doc.slice(doc.indexOf('| Flag | Environment |'));
    const rows = table.split('\n').filter((l) => l.startsWith('| `--'));
    const documented = new Set(rows.flatMap((r) => [...(r.split(' | ')[0] ?? '').matchAll(/`(--[a-z-]+)`/g)].map((m) => m[1])));
    const program = new Command('headstart');
    makeRegisterServe(() => new Promise(() => undefined))(program, captureIo(), () => undefined, defaultPorts);
    const serve = program.commands.find((c) => c.name() === 'serve')!;
    const accepted = new Set(serve.options.map((o) => o.long));
    expect([...documented].sort()).toEqual([...accepted].sort());
    expect(accepted).toContain('--body-limit-bytes');
    expect(accepted).toContain('--max-pixels');
    expect(accepted).toContain('--watch');
  });

  it('a --web-root folder that does not exist is an error', async () => {
    const r = await run('serve', '--models', mkdtempSync(join(tmpdir(), 'hs-models-')), '--web', '/nonexistent/web', '--port', '0');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--web-root \/nonexistent\/web is not a folder/);
  });

  it('port in use: exit 2 and one line naming a free port, no stack trace', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await run('serve', '--models', mkdtempSync(join(tmpdir(), 'hs-models-')), '--port', String(port), '--poll-ms', '0', '--watch', 'false', '--log-level', 'silent');
      expect(r.code).toBe(2);
      const lines = r.err.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`port ${port} is in use; try --port \\d+$`));
      expect(r.err).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  });
});

describe('headstart serve says what it serves', () => {
  it('prints the open line and what it waits for on an empty models folder; names a run folder', async () => {
    const web = mkdtempSync(join(tmpdir(), 'hs-web-'));
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>hs</title>');
    const models = mkdtempSync(join(tmpdir(), 'hs-models-'));
    const serveOnce = async (dir: string): Promise<string> => {
      let stop: (s: string) => void = () => undefined;
      const stopped = new Promise<string>((resolve) => (stop = resolve));
      const io = captureIo();
      const program = new Command('headstart').exitOverride();
      makeRegisterServe(() => stopped)(program, io, () => undefined, defaultPorts);
      const done = program.parseAsync(['node', 'headstart', 'serve', '--models', dir, '--web', web, '--port', '0', '--poll-ms', '0', '--watch', 'false', '--log-level', 'silent']);
      for (let i = 0; i < 400 && !io.err().includes('\n', io.err().indexOf('open ')); i++) await new Promise((r) => setTimeout(r, 25));
      const url = /open (http:\/\/127\.0\.0\.1:\d+)\//.exec(io.err())?.[1];
      expect(url, io.err()).toBeDefined();
      const page = await fetch(`${url}/`);
      expect(await page.text()).toContain('<title>hs</title>');
      stop('SIGTERM');
      await done;
      return io.err();
    };
    const empty = await serveOnce(models);
    expect(empty).toMatch(/^open http:\/\/127\.0\.0\.1:\d+\/$/m);
    expect(empty).toMatch(/waiting for models: .* is empty; publish one with `headstart publish <run> --models/);
    const runDir = mkdtempSync(join(tmpdir(), 'hs-run-'));
    writeFileSync(join(runDir, 'headstart.json'), '{}');
    expect(await serveOnce(runDir)).toMatch(/is a run folder, not a registry: publish it with `headstart publish /);
  });
});
