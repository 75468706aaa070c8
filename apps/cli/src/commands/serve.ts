/** `headstart serve --models <dir>`: the prediction API and the web page until SIGTERM/SIGINT; its flags are the API config schema's settings. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import { HeadstartError } from '@headstart/core';
import type { RunningServer } from '@headstart/api';
import { describeSetting, FLAG_ALIASES, FLAG_NAMES, resolveConfig, SETTINGS, settingDefaults, type ApiConfig, type ApiSetting } from '@headstart/api/config';
import { EXIT, type CliIo, type ExitCode } from '../io.ts';
import type { RegisterCommand } from './index.ts';

/** Resolves when the process receives SIGTERM or SIGINT (injectable for tests). */
export type WaitForStop = () => Promise<string>;

const waitForSignal: WaitForStop = () =>
  new Promise((resolve) => {
    const on = (signal: string): void => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });

/** The web page built on install (`npm ci` runs the root `prepare`: apps/web/dist). */
export const INSTALLED_WEB_ROOT = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/** Adds one `--flag <value>` per API setting (help text and default from the schema) and the short aliases. */
export function addServeFlags(cmd: Command): Command {
  const defaults = settingDefaults() as Record<string, unknown>;
  for (const key of SETTINGS) {
    const d = defaults[key];
    const shown = d === undefined ? '' : Array.isArray(d) ? (d.length === 0 ? ' (default: none)' : ` (default: ${d.join(',')})`) : ` (default: ${String(d)})`;
    cmd.addOption(new Option(`--${FLAG_NAMES[key]} <value>`, `${describeSetting(key)}${shown}`));
    const alias = FLAG_ALIASES[key];
    if (alias !== undefined) cmd.addOption(new Option(`--${alias} <value>`, `same as --${FLAG_NAMES[key]}`));
  }
  return cmd;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The web root to serve: the given folder (which must hold index.html), else the installed page when built. */
function webRootFor(given: string | undefined, note: (line: string) => void): string | undefined {
  if (given !== undefined) {
    if (!isDir(given)) throw new HeadstartError('USAGE', `--web-root ${given} is not a folder; build the page (npx nx build @headstart/web) or leave --web-root out to serve the installed page`);
    if (!existsSync(join(given, 'index.html'))) throw new HeadstartError('USAGE', `--web-root ${given} has no index.html; point it at a built page (apps/web/dist)`);
    return given;
  }
  if (existsSync(join(INSTALLED_WEB_ROOT, 'index.html'))) return INSTALLED_WEB_ROOT;
  note(`the web page is not built, so / answers 404; build it with: npx nx build @headstart/web`);
  return undefined;
}

/** Human lines on stderr (stdout carries the JSON logs): where to open, what is served, what it waits for. */
function describeServing(running: RunningServer, config: ApiConfig, note: (line: string) => void): void {
  const { registry } = running.app;
  const dir = resolve(config.modelsDir);
  const models = registry.names().map((n) => `${n} v${registry.versions(n).join(',v')}`);
  if (config.webRoot !== undefined) note(`open ${running.url}/`);
  else note(`API at ${running.url}/v1/models`);
  if (models.length > 0) {
    note(`serving ${models.length} model${models.length === 1 ? '' : 's'} from ${dir}: ${models.join('; ')}`);
    return;
  }
  if (existsSync(join(dir, 'model.onnx')) || existsSync(join(dir, 'headstart.json'))) {
    note(`${dir} is a run folder, not a registry: publish it with \`headstart publish ${config.modelsDir} --models models\` and serve --models models`);
    return;
  }
  const empty = !isDir(dir) || readdirSync(dir).length === 0;
  note(`waiting for models: ${dir}${empty ? ' is empty' : ' has no <name>/<version>/model.onnx yet'}; publish one with \`headstart publish <run> --models ${config.modelsDir}\` (checked every ${config.pollMs} ms)`);
}

/** Builds the serve command; `waitForStop` decides when to shut down (signals by default). */
export function makeRegisterServe(waitForStop: WaitForStop = waitForSignal): RegisterCommand {
  return (program, io, setExit) => {
    const cmd = program
      .command('serve')
      .description('serve the models in a registry directory (models/<name>/<version>/model.onnx) over HTTP, with the web page at /')
      .addHelpText('after', '\nEvery setting also reads its HEADSTART_* environment variable (flags win). Logs are JSON lines on stdout.\n\nExample:\n  headstart serve --models models --port 8080')
      .action(async (flags: Record<string, string | undefined>) => runServe(flags, io, waitForStop, setExit));
    addServeFlags(cmd);
  };
}

async function runServe(flags: Record<string, string | undefined>, io: CliIo, waitForStop: WaitForStop, setExit: (c: ExitCode) => void): Promise<void> {
  const api = await import('@headstart/api');
  const note = (line: string): void => void io.stderr.write(`${line}\n`);
  const given: Partial<Record<ApiSetting, unknown>> = {};
  for (const key of SETTINGS) {
    const alias = FLAG_ALIASES[key];
    given[key] = flags[key] ?? (alias === undefined ? undefined : flags[alias]);
  }
  const parsed = resolveConfig(given, process.env);
  const webRoot = webRootFor(parsed.webRoot, note);
  const config: ApiConfig = { ...parsed, ...(webRoot === undefined ? {} : { webRoot }) };
  const logger = api.createLogger(config.logLevel, io.stdout);
  const running = await api.startServer(config, logger);
  describeServing(running, config, note);
  const signal = await waitForStop();
  logger.info({ signal }, 'shutting down');
  await running.close();
  setExit(EXIT.ok);
}

/** `headstart serve`. */
export const registerServe: RegisterCommand = makeRegisterServe();
