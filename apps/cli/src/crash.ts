/**
 * The CLI's one top-level error handler: every failure ends as one short message on stderr
 * and a documented exit code. A usage error is 1; a data, model or file-system problem is 2
 * with the message saying what to fix; anything else is a bug: its message, the path of a
 * log file holding the full stack, and a hint — never a stack or a library's minified source
 * on the terminal.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { fsErrorCode, fsErrorMessage, isHeadstartError } from '@headstart/core';
import { EXIT, type ExitCode } from './io.ts';

/** Longest message printed for an unexpected error (libraries sometimes put source into messages). */
const MAX_MESSAGE = 300;

/** Folders tried for crash logs, in order: `$HEADSTART_LOG_DIR`, ~/.headstart/logs, the temp folder. */
export function logDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  return [env['HEADSTART_LOG_DIR'], join(homedir(), '.headstart', 'logs'), join(tmpdir(), 'headstart-logs')].filter((d): d is string => Boolean(d));
}

/** Writes the full error (stack, causes) to a new log file; returns its path, or undefined when no folder took it. */
export function writeCrashLog(error: unknown, argv: readonly string[], dirs: readonly string[] = logDirs()): string | undefined {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const body = [
    `headstart crash log ${new Date().toISOString()}`,
    `argv: ${JSON.stringify(argv.slice(2))}`,
    `node ${process.version} ${process.platform}-${process.arch}`,
    '',
    inspect(error, { depth: 8, breakLength: 120 }),
    '',
  ].join('\n');
  for (const dir of dirs) {
    try {
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${stamp}-${process.pid}.log`);
      writeFileSync(file, body);
      return file;
    } catch {
      // next folder
    }
  }
  return undefined;
}

/** The first line of an error's message, cut to a readable length. */
export function shortMessage(e: unknown): string {
  const raw = e instanceof Error ? e.message : typeof e === 'string' ? e : inspect(e, { depth: 1 });
  const line = (raw.split('\n').find((l) => l.trim()) ?? '').trim() || (e instanceof Error ? e.name : 'unknown error');
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE)}…` : line;
}

/** Tells `e` on `stderr` and returns the exit code it maps to. */
export function reportFailure(e: unknown, stderr: NodeJS.WritableStream, argv: readonly string[], dirs?: readonly string[]): ExitCode {
  if (isHeadstartError(e)) {
    if (e.code === 'INTERRUPTED') {
      stderr.write(`stopped: ${e.message}\n`);
      return EXIT.interrupted;
    }
    stderr.write(`error [${e.code}]: ${e.message}\n`);
    return e.code === 'USAGE' ? EXIT.usage : EXIT.problem;
  }
  if (fsErrorCode(e)) {
    const path = (e as { path?: unknown }).path;
    stderr.write(`error [IO]: ${fsErrorMessage(e, typeof path === 'string' ? path : 'file system')}\n`);
    return EXIT.problem;
  }
  const log = writeCrashLog(e, argv, dirs);
  stderr.write(`error [INTERNAL]: ${shortMessage(e)}\n`);
  stderr.write(log ? `the full error is in ${log}\n` : 'the full error could not be written to a log file\n');
  stderr.write('hint: this is a bug in Headstart, not a problem with your data; please report it with that log file\n');
  return EXIT.problem;
}
