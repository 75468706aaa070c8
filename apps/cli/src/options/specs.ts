/**
 * Parsers for the compact flag syntaxes of `headstart train` (--head, --augment, --unfreeze);
 * each result is validated against core's zod schema, errors are commander usage errors.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { AugmentSpecSchema, HeadSpecSchema, UNFREEZE_FORMS, UnfreezePolicySchema, parseUnfreeze, type UnfreezePolicy } from '@headstart/core';
import type { z } from 'zod';

type HeadInput = z.input<typeof HeadSpecSchema>;
type AugmentInput = z.input<typeof AugmentSpecSchema>;

/** Help text for --head. */
export const HEAD_SYNTAX =
  'head: POOL[:UNITS[:DROPOUT]][,UNITS[:DROPOUT]...] with POOL avg|max|flatten ' +
  '(e.g. `avg`, `avg:256:0.5`, `max:512:0.3,128`), or `logistic[:POOL][:l2=VALUE]`';

/** Help text for --augment. */
export const AUGMENT_SYNTAX =
  'augment: a preset (none|light|standard|strong) or a comma list of flip, vflip, rotate=DEG, zoom=F, shear=DEG, ' +
  'shift=F, wshift=F, hshift=F, brightness=F (±F) or LO-HI, crop=MINSCALE, fill=nearest|constant|reflect, passes=N ' +
  '(e.g. `flip,rotate=15,zoom=0.1`); a preset may start the list: `light,passes=2`';

const POOLS = new Set(['avg', 'max', 'flatten']);

function bad(flag: string, value: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(`${flag} "${value}": ${why}`);
}

function number(flag: string, whole: string, raw: string | undefined): number {
  const v = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(v)) throw bad(flag, whole, `"${raw ?? ''}" is not a number`);
  return v;
}

function validated<T>(flag: string, value: string, schema: z.ZodType<unknown, T>, input: T): T {
  const r = schema.safeParse(input);
  if (!r.success) throw bad(flag, value, r.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; '));
  return input;
}

/** Parses `--head`, e.g. `avg:256:0.5` → {kind:'dense', pooling:'avg', blocks:[{units:256, dropout:0.5}]}. */
export function parseHead(value: string): HeadInput {
  const v = value.trim();
  if (v.startsWith('logistic')) {
    const parts = v.split(':').slice(1);
    const head: { kind: 'logistic'; pooling?: 'avg' | 'max' | 'flatten'; l2?: number } = { kind: 'logistic' };
    for (const p of parts) {
      if (POOLS.has(p)) head.pooling = p as 'avg' | 'max' | 'flatten';
      else if (p.startsWith('l2=')) head.l2 = number('--head', value, p.slice(3));
      else throw bad('--head', value, `unknown logistic option "${p}" (expected avg|max|flatten or l2=VALUE)`);
    }
    if (v !== 'logistic' && !v.startsWith('logistic:')) throw bad('--head', value, HEAD_SYNTAX);
    return validated('--head', value, HeadSpecSchema, head);
  }
  const [first = '', ...rest] = v.split(',');
  const [pool = '', ...firstBlock] = first.split(':');
  if (!POOLS.has(pool)) throw bad('--head', value, `pooling "${pool}" is not avg, max, flatten or logistic; ${HEAD_SYNTAX}`);
  const blockSpecs = [firstBlock, ...rest.map((b) => b.split(':'))].filter((b) => b.length > 0 && b[0] !== '');
  const blocks = blockSpecs.map((b) => {
    if (b.length > 2) throw bad('--head', value, `dense block "${b.join(':')}" has more than UNITS:DROPOUT`);
    const units = number('--head', value, b[0]);
    return b[1] === undefined ? { units } : { units, dropout: number('--head', value, b[1]) };
  });
  return validated('--head', value, HeadSpecSchema, { kind: 'dense', pooling: pool as 'avg' | 'max' | 'flatten', blocks });
}

const PRESETS: Record<string, AugmentInput | undefined> = {
  none: undefined,
  light: { horizontalFlip: true, rotation: 10, zoom: 0.1 },
  standard: { horizontalFlip: true, rotation: 15, zoom: 0.1, widthShift: 0.1, heightShift: 0.1, brightness: [0.8, 1.2] },
  strong: {
    horizontalFlip: true,
    rotation: 25,
    zoom: 0.2,
    shear: 10,
    widthShift: 0.15,
    heightShift: 0.15,
    brightness: [0.7, 1.3],
    randomResizedCrop: { scale: [0.6, 1], ratio: [0.75, 1.333] },
  },
};

/** Parses `--augment` into an AugmentSpec input plus an optional number of cached augmented passes. */
export function parseAugment(value: string): { augment?: AugmentInput | null; passes?: number } {
  let spec: Record<string, unknown> | undefined;
  let off = false;
  let passes: number | undefined;
  for (const raw of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [key = '', arg] = raw.split('=', 2);
    const n = (): number => number('--augment', value, arg);
    if (key in PRESETS && arg === undefined) {
      const preset = PRESETS[key];
      spec = preset ? { ...(spec ?? {}), ...preset } : spec;
      off ||= key === 'none';
      continue;
    }
    spec ??= {};
    switch (key) {
      case 'flip':
      case 'hflip':
        spec.horizontalFlip = true;
        break;
      case 'vflip':
        spec.verticalFlip = true;
        break;
      case 'rotate':
      case 'rotation':
        spec.rotation = n();
        break;
      case 'zoom':
        spec.zoom = n();
        break;
      case 'shear':
        spec.shear = n();
        break;
      case 'shift':
        spec.widthShift = n();
        spec.heightShift = spec.widthShift;
        break;
      case 'wshift':
        spec.widthShift = n();
        break;
      case 'hshift':
        spec.heightShift = n();
        break;
      case 'brightness': {
        const range = (arg ?? '').split('-');
        if (range.length === 2) spec.brightness = [number('--augment', value, range[0]), number('--augment', value, range[1])];
        else spec.brightness = [1 - n(), 1 + n()];
        break;
      }
      case 'crop':
        spec.randomResizedCrop = { scale: [n(), 1], ratio: [0.75, 4 / 3] };
        break;
      case 'fill':
        spec.fillMode = arg;
        break;
      case 'passes':
        passes = n();
        if (!Number.isInteger(passes) || passes < 0) throw bad('--augment', value, 'passes must be a whole number ≥ 0');
        break;
      default:
        throw bad('--augment', value, `unknown item "${raw}"; ${AUGMENT_SYNTAX}`);
    }
  }
  const out: { augment?: AugmentInput | null; passes?: number } = {};
  if (spec) out.augment = validated('--augment', value, AugmentSpecSchema, spec as AugmentInput);
  else if (off) out.augment = null;
  if (passes !== undefined) out.passes = passes;
  return out;
}

/** Parses `--unfreeze top:N | from:<layer> | all | none` with core's parser. */
export function parseUnfreezeFlag(value: string): UnfreezePolicy {
  try {
    return UnfreezePolicySchema.parse(parseUnfreeze(value));
  } catch (e) {
    throw bad('--unfreeze', value, `expected ${UNFREEZE_FORMS} (${(e as Error).message})`);
  }
}

/** Commander argument parser for an integer ≥ min. */
export function intArg(flag: string, min = 0): (value: string) => number {
  return (value) => {
    const v = Number(value);
    if (!Number.isInteger(v) || v < min) throw bad(flag, value, `expected a whole number ≥ ${min}`);
    return v;
  };
}

/** Commander argument parser for a number in [lo, hi). */
export function numArg(flag: string, lo: number, hi = Infinity, hiInclusive = false): (value: string) => number {
  return (value) => {
    const v = Number(value);
    const ok = value.trim() !== '' && Number.isFinite(v) && v >= lo && (hiInclusive ? v <= hi : v < hi);
    if (!ok) throw bad(flag, value, `expected a number in [${lo}, ${hi}${hiInclusive ? ']' : ')'}`);
    return v;
  };
}

/** Commander argument parser for a probability strictly between 0 and 1 (an "unknown" threshold or target). */
export function probabilityArg(flag: string): (value: string) => number {
  return (value) => {
    const v = Number(value);
    if (value.trim() === '' || !(v > 0 && v < 1)) throw bad(flag, value, 'expected a number between 0 and 1 (exclusive), e.g. 0.6');
    return v;
  };
}

/** Commander argument parser accepting one of `choices`. */
export function choiceArg<T extends string>(flag: string, choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) throw bad(flag, value, `expected one of ${choices.join(', ')}`);
    return value as T;
  };
}

/** Adds `--top-k <n>` and its accepted alias `--topk <n>` (hidden) to a command. */
export function topKOption(cmd: Command, description: string): Command {
  return cmd
    .option('--top-k <n>', description, intArg('--top-k', 1))
    .addOption(new Option('--topk <n>', 'alias of --top-k').hideHelp().argParser(intArg('--topk', 1)));
}

/** The top-k a command was given through `--top-k` or its alias `--topk`. */
export function readTopK(flags: { topK?: number; topk?: number }): number | undefined {
  return flags.topK ?? flags.topk;
}
