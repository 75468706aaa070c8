import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { HeadstartError } from '@headstart/core';
import { reportFailure } from '../src/crash.ts';
import { main } from '../src/main.ts';
import { captureIo } from './fakes.ts';

function stderr(): { stream: PassThrough; text: () => string } {
  let text = '';
  const stream = new PassThrough();
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

describe('the top-level error handler', () => {
  it('a crash prints the message, the log file holding the full stack, and a hint; exit 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hs-crash-'));
    const err = stderr();
    const minified = `boom\n${'function(e){return e.asm.x}'.repeat(2000)}`;
    const code = reportFailure(new TypeError(minified), err.stream, ['node', 'headstart', 'train', 'x'], [dir]);
    expect(code).toBe(2);
    const lines = err.text().trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('error [INTERNAL]: boom');
    const log = /the full error is in (\S+)$/.exec(lines[1] ?? '')?.[1] as string;
    expect(log.startsWith(dir)).toBe(true);
    expect(lines[2]).toMatch(/^hint: .*report it/);
    const body = await readFile(log, 'utf8');
    expect(body).toContain('TypeError: boom');
    expect(body).toContain('crash.test.ts');
    expect(body).toContain('"train","x"');
  });

  it('a file-system error is one line naming the path and what to do; exit 2', () => {
    const err = stderr();
    const e = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', path: '/runs/a/model.onnx' });
    expect(reportFailure(e, err.stream, [])).toBe(2);
    expect(err.text()).toBe('error [IO]: /runs/a/model.onnx: no space left on the device; free some space or choose another disk (ENOSPC)\n');
  });

  it('HeadstartErrors map to the documented codes: USAGE 1, INTERRUPTED 130, others 2', () => {
    const err = stderr();
    expect(reportFailure(new HeadstartError('USAGE', 'x'), err.stream, [])).toBe(1);
    expect(reportFailure(new HeadstartError('INTERRUPTED', 'stopped'), err.stream, [])).toBe(130);
    expect(reportFailure(new HeadstartError('RUN_EXISTS', 'runs/a already holds a run'), err.stream, [])).toBe(2);
    expect(err.text()).toContain('error [RUN_EXISTS]: runs/a already holds a run\n');
  });

  it('--version prints the version; a misspelt flag or command gets a suggestion (exit 1)', async () => {
    const io = captureIo();
    expect(await main(['node', 'headstart', '--version'], io)).toBe(0);
    expect(io.out()).toMatch(/^headstart \d+\.\d+\.\d+ \(node v\d+/);
    const bad = captureIo();
    expect(await main(['node', 'headstart', 'train', 'd', '--out', 'r', '--bsae', 'x'], bad)).toBe(1);
    expect(bad.err()).toContain('(Did you mean --base?)');
    const cmd = captureIo();
    expect(await main(['node', 'headstart', 'trian'], cmd)).toBe(1);
    expect(cmd.err()).toContain('(Did you mean train?)');
  });

  it('--help shows the defaults of train', async () => {
    const io = captureIo();
    expect(await main(['node', 'headstart', 'train', '--help'], io)).toBe(0);
    const help = io.out().replace(/\s+/g, ' ');
    const { DEFAULT_SCHEDULE } = await import('@headstart/trainer/defaults');
    expect(help).toContain(`phase 1 epochs (head only, base frozen) (default: ${DEFAULT_SCHEDULE.phase1.epochs})`);
    expect(help).toContain(`(default: ${DEFAULT_SCHEDULE.phase1.batchSize})`);
    expect(help).toContain('--no-export');
    expect(help).toContain('--overwrite');
  });
});
