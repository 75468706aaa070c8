import type { z } from 'zod';
import { HeadstartError } from '../errors.ts';

/** One validation problem: the field path (e.g. `phase2.unfreeze.n`) and what is wrong. */
export interface SpecIssue {
  path: string;
  message: string;
}

/** Render a zod issue path as `a.b[2].c` (`(root)` when empty). */
export function formatSpecPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/**
 * Validate `value` against a zod schema; on failure throw HeadstartError('SPEC_INVALID')
 * whose message names `what` and every bad field path, e.g.
 * `schedule is invalid: phase1.learningRate: Too small: expected number to be >0`.
 * @example const head = parseSpec(HeadSpecSchema, JSON.parse(text), 'head spec in run.json');
 */
export function parseSpec<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues: SpecIssue[] = result.error.issues.map((i) => ({ path: formatSpecPath(i.path), message: i.message }));
  throw new HeadstartError('SPEC_INVALID', `${what} is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
    cause: result.error,
    details: { what, issues },
  });
}
