/** `headstart publish <runDir> --models <dir> [--name] [--version]`: put an exported run into the serving registry. */
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { HeadstartError } from '@headstart/core';
import { EXIT } from '../io.ts';
import type { RegisterCommand } from './index.ts';

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Files copied from a run into `models/<name>/<version>/`; the first is required. */
const FILES = ['model.onnx', 'headstart.json', 'report.json', 'history.jsonl'] as const;

const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);

/** The registry name a run directory gets by default: its folder name, made registry-safe. */
export function defaultModelName(runDir: string): string {
  return basename(resolve(runDir)).replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64) || 'model';
}

/** The next free version in `models/<name>/` (1 when the model is new). */
export async function nextVersion(modelDir: string): Promise<number> {
  const entries = await readdir(modelDir).catch(() => [] as string[]);
  const versions = entries.filter((e) => /^[1-9][0-9]*$/.test(e)).map(Number);
  return versions.length === 0 ? 1 : Math.max(...versions) + 1;
}

/**
 * Copies an exported run into `<models>/<name>/<version>/` atomically: the files land in a hidden
 * staging folder first, which is renamed into place, so a serving registry never sees half a version.
 */
export async function publishRun(runDir: string, models: string, opts: { name?: string; version?: number } = {}): Promise<{ dir: string; name: string; version: number }> {
  const name = opts.name ?? defaultModelName(runDir);
  if (!NAME.test(name)) throw new HeadstartError('USAGE', `model name "${name}" must match ${NAME.source} (letters, digits, _ and -)`);
  if (!(await exists(join(runDir, 'model.onnx')))) {
    throw new HeadstartError('RUN_INCOMPLETE', `${join(runDir, 'model.onnx')} does not exist: run \`headstart export ${runDir}\` first`);
  }
  const modelDir = join(models, name);
  const version = opts.version ?? (await nextVersion(modelDir));
  if (!Number.isInteger(version) || version < 1) throw new HeadstartError('USAGE', `version must be a positive integer, got ${version}`);
  const target = join(modelDir, String(version));
  if (await exists(target)) throw new HeadstartError('USAGE', `${target} already exists; versions are immutable — publish as a new version`);
  await mkdir(modelDir, { recursive: true });
  const staging = join(modelDir, `.publish-${version}-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging);
  try {
    for (const f of FILES) if (await exists(join(runDir, f))) await copyFile(join(runDir, f), join(staging, f));
    await rename(staging, target);
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    throw new HeadstartError('IO', `could not publish ${runDir} to ${target}`, { cause: e });
  }
  return { dir: target, name, version };
}

export const registerPublish: RegisterCommand = (program, io, setExit) => {
  program
    .command('publish')
    .description('copy an exported run (model.onnx, headstart.json, report) into a serving registry as a new version')
    .argument('<runDir>', 'a run directory with model.onnx (see `headstart export`)')
    .requiredOption('--models <dir>', 'registry directory (models/<name>/<version>/)')
    .option('--name <name>', 'model name (default: the run folder name)')
    .option('--version <n>', 'version number (default: the next free one)')
    .option('--json', 'print {name, version, dir} as JSON')
    .addHelpText('after', '\nExample:\n  headstart publish runs/demo --models models --name fashion\n  headstart serve --models models')
    .action(async (runDir: string, flags: { models: string; name?: string; version?: string; json?: boolean }) => {
      const version = flags.version === undefined ? undefined : Number(flags.version);
      const out = await publishRun(runDir, flags.models, { name: flags.name, version });
      io.stdout.write(flags.json ? `${JSON.stringify(out)}\n` : `published ${out.name} v${out.version} → ${out.dir}\n`);
      setExit(EXIT.ok);
    });
};
