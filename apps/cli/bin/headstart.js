#!/usr/bin/env node
// Launcher: registers the TypeScript loader (with the CLI's tsconfig, for react-jsx), then runs the CLI from source.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
