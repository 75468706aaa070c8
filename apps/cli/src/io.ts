/** Where a command writes. Injected so tests can capture output. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
}

/** Exit codes shared by every command: 0 ok, 1 usage error, 2 data or model problem, 130 stopped by the user (checkpoint saved). */
export const EXIT = { ok: 0, usage: 1, problem: 2, interrupted: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
