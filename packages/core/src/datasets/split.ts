import { createRng } from '../random/rng.ts';
import type { DatasetItem, Split, SplitIndices } from './types.ts';

/** Fractions of each class sent to validation and test; the rest is training. */
export interface SplitFractions {
  val: number;
  test: number;
}

function checkFractions({ val, test }: SplitFractions): void {
  for (const [name, f] of [['val', val], ['test', test]] as const) {
    if (!Number.isFinite(f) || f < 0 || f >= 1) throw new RangeError(`stratifiedSplit: ${name} fraction must be in [0, 1), got ${f}`);
  }
  if (val + test >= 1) throw new RangeError(`stratifiedSplit: val + test must be < 1, got ${val + test}`);
}

/** How many of `n` images of one class go to val and test. */
function classShares(n: number, { val, test }: SplitFractions): { nVal: number; nTest: number } {
  let nVal = Math.round(n * val);
  let nTest = Math.round(n * test);
  // Every class with at least two images is represented in val (and in test with three).
  if (val > 0 && nVal === 0 && n >= 2) nVal = 1;
  if (test > 0 && nTest === 0 && n >= 3) nTest = 1;
  // Training keeps at least one image of every class.
  while (n > 0 && nVal + nTest > n - 1) {
    if (nTest > 0 && (nTest >= nVal || nVal <= 1)) nTest--;
    else nVal--;
  }
  return { nVal, nTest };
}

/**
 * Seeded stratified split: each class is shuffled on its own stream and cut into
 * val/test/train shares proportional to `fractions`, so class proportions are kept within
 * one image. A class with ≥ 2 images always has one in val (when val > 0); training always
 * keeps at least one image per class. Same items and seed → same split. Returned index
 * lists are ascending.
 * @example stratifiedSplit(items, { val: 0.2, test: 0 }, 42).val
 */
export function stratifiedSplit(items: readonly { label: number }[], fractions: SplitFractions, seed: number): SplitIndices {
  checkFractions(fractions);
  const byClass = new Map<number, number[]>();
  items.forEach(({ label }, i) => {
    const list = byClass.get(label);
    if (list) list.push(i);
    else byClass.set(label, [i]);
  });
  const rng = createRng(seed);
  const out: SplitIndices = { train: [], val: [], test: [] };
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const indices = rng.fork(label).shuffle([...(byClass.get(label) ?? [])]);
    const { nVal, nTest } = classShares(indices.length, fractions);
    out.val.push(...indices.slice(0, nVal));
    out.test.push(...indices.slice(nVal, nVal + nTest));
    out.train.push(...indices.slice(nVal + nTest));
  }
  const asc = (a: number, b: number): number => a - b;
  return { train: out.train.sort(asc), val: out.val.sort(asc), test: out.test.sort(asc) };
}

/**
 * Gives every item a split. Items that already have one keep it; when no item is marked
 * `val`, validation is carved (stratified, seeded) out of the training items, and likewise
 * `test` when `fractions.test > 0` and no item is marked test. Returns new items.
 */
export function assignSplits(items: readonly DatasetItem[], fractions: SplitFractions, seed: number): DatasetItem[] {
  const has = (s: Split): boolean => items.some((it) => it.split === s);
  const want: SplitFractions = { val: has('val') ? 0 : fractions.val, test: has('test') ? 0 : fractions.test };
  const pool = items.map((it, i) => ({ it, i })).filter(({ it }) => it.split === undefined || it.split === 'train');
  const result = items.map((it) => ({ ...it }));
  const parts = stratifiedSplit(pool.map(({ it }) => it), want, seed);
  for (const split of ['train', 'val', 'test'] as const) {
    for (const p of parts[split]) {
      const target = result[pool[p]?.i ?? -1];
      if (target) target.split = split;
    }
  }
  return result;
}
