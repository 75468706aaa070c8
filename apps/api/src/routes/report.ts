import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HeadstartError } from '@headstart/core';

const isMissing = (e: unknown): boolean => (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';

/**
 * The evaluation report published beside a model version (`models/<name>/<v>/report.json`, as
 * written by the trainer), with the epochs of `history.jsonl` attached as `history` when that
 * file is there too and the report has none: one document for the web page's report view.
 */
export async function readModelReport(modelPath: string, what: string): Promise<Record<string, unknown>> {
  const dir = dirname(modelPath);
  let report: unknown;
  try {
    report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
  } catch (e) {
    if (isMissing(e)) throw new HeadstartError('NOT_FOUND', `${what} has no report.json; copy the run's report.json next to its model.onnx to publish it`);
    throw new HeadstartError('IO', `${what}: report.json could not be read`, { cause: e });
  }
  if (typeof report !== 'object' || report === null || Array.isArray(report)) {
    throw new HeadstartError('MODEL_INVALID', `${what}: report.json is not a JSON object`);
  }
  const out = report as Record<string, unknown>;
  if (out.history !== undefined) return out;
  try {
    const lines = (await readFile(join(dir, 'history.jsonl'), 'utf8')).split('\n').filter((l) => l.trim() !== '');
    return { ...out, history: lines.map((l) => JSON.parse(l) as unknown) };
  } catch (e) {
    if (isMissing(e)) return out;
    throw new HeadstartError('MODEL_INVALID', `${what}: history.jsonl could not be read`, { cause: e });
  }
}
