import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway redis-server on a free loopback port (no persistence), for tests. */
export interface TestRedis {
  url: string;
  port: number;
  /** SIGKILLs the server (Redis "going away"). */
  kill(): Promise<void>;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function exited(p: ChildProcess): Promise<void> {
  return p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', () => r()));
}

/**
 * Starts Debian's `redis-server` (installed by tools/scripts/system-deps.sh) on a free port and
 * resolves once it accepts connections.
 */
export async function startTestRedis(): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-redis-'));
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`redis-server did not start on port ${port}:\n${log}`)), 15_000);
    proc.once('error', (e) => {
      clearTimeout(t);
      reject(new Error(`cannot start redis-server (run tools/scripts/system-deps.sh): ${e.message}`));
    });
    proc.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`redis-server exited (${code}):\n${log}`));
    });
    const check = (): void => {
      if (/Ready to accept connections/i.test(log)) {
        clearTimeout(t);
        resolve();
      } else setTimeout(check, 50);
    };
    check();
  });
  proc.removeAllListeners('exit');
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async kill() {
      proc.kill('SIGKILL');
      await exited(proc);
    },
    async stop() {
      proc.kill('SIGTERM');
      await exited(proc);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
