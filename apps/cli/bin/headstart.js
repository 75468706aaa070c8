#!/usr/bin/env node
// Launcher: registers the TypeScript loader (with the CLI's tsconfig, for react-jsx), then runs the CLI from source.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// `headstart ... | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
