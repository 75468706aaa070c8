import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.ts';
import { reportFailure } from './crash.ts';
import { EXIT, type CliIo, type ExitCode } from './io.ts';
import { defaultPorts, type CliPorts } from './ports.ts';

/** The CLI's version (its package.json). */
export const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** Builds the `headstart` program with every registered command; `ports` load the trainer and exporter. */
export function buildProgram(io: CliIo, setExit: (code: ExitCode) => void, ports: CliPorts = defaultPorts): Command {
  const program = new Command('headstart')
    .description('Turn a folder of labelled images into an image classifier by transfer learning.')
    .version(`headstart ${VERSION} (node ${process.version})`, '-V, --version', 'print the version')
    .showSuggestionAfterError()
    // Program options (--version) only before a command: after it, `publish --version 3` is publish's own flag.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .addHelpText('after', '\nExit codes: 0 ok, 1 usage error, 2 data, model or file-system problem (or a crash: message + log file), 130 stopped by the user.');
  // Sub-commands inherit exitOverride, output and suggestions: commander copies them on creation.
  for (const register of commands) register(program, io, setExit, ports);
  return program;
}

let handlersInstalled = false;

/** Routes errors that escape every await (event handlers, stray rejections) to the same report, then exits. */
function installProcessHandlers(io: CliIo, argv: readonly string[]): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const die = (e: unknown): void => {
    process.exitCode = reportFailure(e, io.stderr, argv);
    process.exit();
  };
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);
}

/**
 * Entry of the `headstart` command: parses argv (node, script, ...args) and returns the exit code.
 * `io` and `ports` are its collaborators (output streams; trainer and exporter loaders), the real ones by default.
 */
export async function main(argv: readonly string[], io: CliIo = process, ports: CliPorts = defaultPorts): Promise<number> {
  if (io === process) installProcessHandlers(io, argv);
  let code: ExitCode = EXIT.ok;
  const program = buildProgram(
    io,
    (c) => {
      code = c;
    },
    ports,
  );
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return reportFailure(e, io.stderr, argv);
  }
}
