import { HeadstartError } from '../errors.ts';
import type { UnfreezePolicy } from '../specs/schedule.ts';

/** What the freeze planner needs to know about one base layer (in model order, input first). */
export interface LayerInfo {
  name: string;
  className: string;
  /** True when the layer has weights (Conv2D, Dense, BatchNormalization, ...). */
  weighted: boolean;
}

/** Which base layers train in phase 2, which stay frozen, and which BatchNorm layers run in inference mode. */
export interface FreezePlan {
  trainable: Set<string>;
  frozen: Set<string>;
  /** Every BatchNormalization layer of the base: always run with moving statistics (Keras guide). */
  bnInference: Set<string>;
  /** First trainable layer in model order, or null when nothing trains. */
  firstTrainable: string | null;
}

const BN_CLASSES = new Set(['BatchNormalization', 'SyncBatchNormalization', 'BatchNormalizationV1', 'BatchNormalizationV2']);

/** Accepted text forms of an unfreeze policy, for messages. */
export const UNFREEZE_FORMS = "'top:N' (last N weighted layers), 'from:<layer>', 'all' or 'none'";

/** Parse `top:20` | `from:block_12_add` | `all` | `none` into an UnfreezePolicy (SPEC_INVALID otherwise). */
export function parseUnfreeze(text: string): UnfreezePolicy {
  const t = text.trim();
  if (t === 'all') return { kind: 'all' };
  if (t === 'none') return { kind: 'none' };
  const top = /^top:(\d+)$/.exec(t);
  if (top) return { kind: 'top', n: Number(top[1]) };
  if (t.startsWith('from:') && t.length > 'from:'.length) return { kind: 'from', layer: t.slice('from:'.length) };
  throw new HeadstartError('SPEC_INVALID', `unfreeze policy "${text}" is not understood; use ${UNFREEZE_FORMS}`, {
    details: { value: text },
  });
}

/** The inverse of parseUnfreeze. */
export function formatUnfreeze(policy: UnfreezePolicy): string {
  switch (policy.kind) {
    case 'top':
      return `top:${policy.n}`;
    case 'from':
      return `from:${policy.layer}`;
    default:
      return policy.kind;
  }
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/** Up to `max` layer names close to `name` (edit distance, or one containing the other), closest first. */
export function nearLayerNames(name: string, names: readonly string[], max = 5): string[] {
  const q = name.toLowerCase();
  return names
    .map((n) => {
      const l = n.toLowerCase();
      const d = l.includes(q) || q.includes(l) ? Math.abs(l.length - q.length) * 0.01 : editDistance(q, l);
      return { n, d };
    })
    .filter(({ d }) => d <= Math.max(2, Math.floor(q.length / 3)))
    .sort((a, b) => a.d - b.d)
    .slice(0, max)
    .map(({ n }) => n);
}

/**
 * Pure freeze plan for phase 2. `top:N` makes the last N *weighted* layers trainable (and
 * the weightless layers between them); `from:<layer>` makes that layer and every later one
 * trainable; `all`/`none` as named. Every BatchNormalization layer of the base is in
 * `bnInference` whatever the policy: BN keeps its moving statistics while fine-tuning
 * (Keras transfer-learning guide); a trainable BN still updates gamma/beta.
 */
export function planFreeze(layers: readonly LayerInfo[], policy: UnfreezePolicy): FreezePlan {
  const seen = new Set<string>();
  for (const l of layers) {
    if (seen.has(l.name)) throw new RangeError(`planFreeze: duplicate layer name "${l.name}"`);
    seen.add(l.name);
  }
  let start: number; // index of the first trainable layer; layers.length = none
  switch (policy.kind) {
    case 'all':
      start = 0;
      break;
    case 'none':
      start = layers.length;
      break;
    case 'top': {
      start = layers.length;
      let remaining = policy.n;
      for (let i = layers.length - 1; i >= 0 && remaining > 0; i--) {
        if (layers[i]?.weighted) {
          start = i;
          remaining--;
        }
      }
      if (remaining > 0) start = 0;
      break;
    }
    case 'from': {
      start = layers.findIndex((l) => l.name === policy.layer);
      if (start < 0) {
        const near = nearLayerNames(policy.layer, layers.map((l) => l.name));
        const hint = near.length > 0 ? `; did you mean ${near.map((n) => `"${n}"`).join(', ')}?` : `; the base has ${layers.length} layers, last: "${layers.at(-1)?.name ?? ''}"`;
        throw new HeadstartError('LAYER_NOT_FOUND', `unfreeze from:${policy.layer}: no layer named "${policy.layer}" in the base${hint}`, {
          details: { layer: policy.layer, near },
        });
      }
      break;
    }
  }
  const trainable = new Set<string>();
  const frozen = new Set<string>();
  const bnInference = new Set<string>();
  layers.forEach((l, i) => {
    (i >= start ? trainable : frozen).add(l.name);
    if (BN_CLASSES.has(l.className)) bnInference.add(l.name);
  });
  return { trainable, frozen, bnInference, firstTrainable: layers[start]?.name ?? null };
}
