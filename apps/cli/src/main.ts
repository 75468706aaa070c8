import { Command, CommanderError } from 'commander';
import { isHeadstartError } from '@headstart/core';
import { commands } from './commands/index.ts';
import { EXIT, type CliIo, type ExitCode } from './io.ts';

/** Builds the `headstart` program with every registered command. */
export function buildProgram(io: CliIo, setExit: (code: ExitCode) => void): Command {
  const program = new Command('headstart')
    .description('Turn a folder of labelled images into an image classifier by transfer learning.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  for (const register of commands) register(program, io, setExit);
  return program;
}

/** Entry of the `headstart` command: parses argv (node, script, ...args) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIo = process): Promise<number> {
  let code: ExitCode = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (isHeadstartError(e)) {
      io.stderr.write(`error [${e.code}]: ${e.message}\n`);
      return e.code === 'USAGE' ? EXIT.usage : EXIT.problem;
    }
    throw e;
  }
}
