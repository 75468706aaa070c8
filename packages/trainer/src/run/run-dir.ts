/**
 * The run folder before any work: it must be writable (checked by writing a probe file), an
 * existing run is never silently reused (`overwrite` or `resume` must say so), and what a
 * killed process left behind (temporary files, half-written checkpoint generations) is
 * removed.
 */
import { readCheckpointIndex } from './checkpoint.ts';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, lstat, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fsErrorMessage, HeadstartError } from '@headstart/core';


/** What to do when `out` already holds a run. */
export interface RunDirPolicy {
  /** Continue the run from its checkpoint (the folder must hold a run). */
  resume?: boolean;
  /** Replace the run: every artifact of the old run is removed before training starts. */
  overwrite?: boolean;
}

/** Files and folders of a run whose content depends on its weights (removed by `overwrite`). */
const RUN_ARTIFACTS = ['headstart.json', 'model', 'checkpoint', 'history.jsonl'];
/** Weight-dependent files by pattern: every ONNX export and every evaluation report. */
const RUN_ARTIFACT_PATTERN = /^(.+\.onnx|report(-.+)?\.(json|html))$/;
/** Leftovers of an interrupted write: `writeFileAtomic` temp files, model swap folders. */
const STRAY_PATTERN = /^(\..+\.\d+\.[0-9a-f]+\.tmp|\.model\.tmp-\d+|model\.old-\d+|\.headstart-probe-.*)$/;

async function entries(dir: string): Promise<string[] | undefined> {
  try {
    return await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new HeadstartError('IO', fsErrorMessage(e, `cannot use the output folder ${dir}`), { cause: e, details: { path: dir } });
  }
}

/**
 * The real reason `dir` cannot be created: a recursive mkdir reports ENOENT for a read-only or
 * unwritable parent, so the nearest existing ancestor is asked directly.
 */
async function whyNotCreatable(dir: string, first: unknown): Promise<unknown> {
  if ((first as NodeJS.ErrnoException).code !== 'ENOENT') return first;
  let at = dirname(dir);
  while (at !== dirname(at) && !(await stat(at).catch(() => undefined))) at = dirname(at);
  const s = await stat(at).catch(() => undefined);
  if (s && !s.isDirectory()) return Object.assign(new Error(`${at} is a file`), { code: 'ENOTDIR' });
  return access(at, constants.W_OK).then(
    () => first,
    (e: unknown) => e,
  );
}

/** Creates `dir` and proves it writable by writing and removing a probe file. */
export async function assertWritableDir(dir: string): Promise<void> {
  const probe = join(dir, `.headstart-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(dir, { recursive: true }).catch(async (e: unknown) => {
      throw await whyNotCreatable(dir, e);
    });
    await writeFile(probe, 'probe');
  } catch (e) {
    throw new HeadstartError('IO', fsErrorMessage(e, `cannot write to the output folder ${dir}`), { cause: e, details: { path: dir } });
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
}

/** Removes leftovers of a killed write in `runDir` and partial checkpoint generations. */
export async function removeStrayFiles(runDir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of (await entries(runDir)) ?? []) {
    if (!STRAY_PATTERN.test(name)) continue;
    await rm(join(runDir, name), { recursive: true, force: true });
    removed.push(name);
  }
  const ckpt = join(runDir, 'checkpoint');
  const gens = await entries(ckpt);
  if (gens) {
    // A damaged index is an error, not "no current generation" (which would delete them all).
    const current = await readCheckpointIndex(ckpt);
    for (const name of gens) {
      if ((name.startsWith('gen-') && name !== current) || STRAY_PATTERN.test(name)) {
        await rm(join(ckpt, name), { recursive: true, force: true });
        removed.push(join('checkpoint', name));
      }
    }
  }
  return removed;
}

/**
 * Checks `runDir` for training without changing what is in it (a new folder is created and
 * a probe file written and removed): an existing run needs `resume` or `overwrite`
 * (RUN_EXISTS otherwise), a non-empty folder that is not a run is refused, an unwritable
 * folder fails with IO naming why. Returns the folder's visible entries.
 */
export async function checkRunDir(runDir: string, policy: RunDirPolicy = {}): Promise<{ isRun: boolean; entries: string[] }> {
  if (policy.resume && policy.overwrite) throw new HeadstartError('USAGE', '--resume and --overwrite contradict each other: drop one');
  const st = await lstat(runDir).catch(() => undefined);
  if (st && !st.isDirectory()) {
    throw new HeadstartError('IO', `cannot use ${runDir} as the output folder: it is a file; choose another --out`, { details: { path: runDir } });
  }
  const visible = ((await entries(runDir)) ?? []).filter((n) => !STRAY_PATTERN.test(n));
  const isRun = visible.includes('headstart.json');
  if (policy.resume) {
    if (!isRun) throw new HeadstartError('RUN_NOT_FOUND', `--resume: ${runDir} holds no run to resume (no headstart.json); drop --resume to start one`, { details: { runDir } });
  } else if (isRun && !policy.overwrite) {
    throw new HeadstartError('RUN_EXISTS', `${runDir} already holds a run; pass --overwrite to replace it (its model, exports and reports are removed), --resume to continue it, or choose another --out`, {
      details: { runDir },
    });
  } else if (!isRun && visible.length > 0) {
    throw new HeadstartError('RUN_EXISTS', `${runDir} is not empty and is not a Headstart run (${visible.slice(0, 3).join(', ')}${visible.length > 3 ? ', …' : ''}); choose an empty or new --out`, {
      details: { runDir },
    });
  }
  await assertWritableDir(runDir);
  return { isRun, entries: visible };
}

/**
 * Prepares `runDir` for training, before any other work: `checkRunDir`, then the leftovers of
 * a killed process are removed, and `overwrite` removes every weight-dependent artifact of the
 * old run (model, ONNX exports, reports, history, checkpoint) while `resume` removes exports
 * and reports made from earlier weights.
 */
export async function prepareRunDir(runDir: string, policy: RunDirPolicy = {}): Promise<void> {
  const { isRun, entries: visible } = await checkRunDir(runDir, policy);
  await removeStrayFiles(runDir);
  if (policy.overwrite && isRun) {
    for (const name of visible) {
      if (RUN_ARTIFACTS.includes(name) || RUN_ARTIFACT_PATTERN.test(name)) await rm(join(runDir, name), { recursive: true, force: true });
    }
  }
  if (policy.resume) {
    // Anything exported or reported from an earlier state of these weights is stale.
    for (const name of visible) if (RUN_ARTIFACT_PATTERN.test(name)) await rm(join(runDir, name), { force: true });
  }
}
