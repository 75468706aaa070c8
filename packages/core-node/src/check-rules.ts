import { balancedClassWeights, sortLabels, type Split } from '@headstart/core';
import type { CheckProblem, CheckReport } from './check-types.ts';

/** What the file pass learned about one item. */
export interface InspectedItem {
  /** Path relative to the dataset root. */
  rel: string;
  label: number;
  split?: Split;
  good: boolean;
  hash?: string;
}

/** Reports every copy after the first of identical content (by hash) among good items. */
export function duplicateProblems(items: readonly InspectedItem[], labels: readonly string[]): CheckProblem[] {
  const groups = new Map<string, InspectedItem[]>();
  for (const it of items) {
    if (!it.good || it.hash === undefined) continue;
    const g = groups.get(it.hash);
    if (g) g.push(it);
    else groups.set(it.hash, [it]);
  }
  const problems: CheckProblem[] = [];
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    group.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    const first = group[0] as InspectedItem;
    for (const dup of group.slice(1)) {
      const related = [first.rel];
      if (dup.label !== first.label) {
        problems.push({
          path: dup.rel,
          code: 'DUPLICATE_ACROSS_CLASSES',
          severity: 'warning',
          related,
          message: `same content as ${first.rel}, but labelled "${labels[dup.label]}" here and "${labels[first.label]}" there; decide which class it belongs to and delete the other copy`,
        });
      } else if (dup.split !== first.split) {
        problems.push({
          path: dup.rel,
          code: 'SPLIT_LEAKAGE',
          severity: 'warning',
          related,
          message: `same content as ${first.rel} (${first.split ?? 'no split'} vs ${dup.split ?? 'no split'}): the model is evaluated on an image it trained on; delete one copy`,
        });
      } else {
        problems.push({
          path: dup.rel,
          code: 'DUPLICATE',
          severity: 'warning',
          related,
          message: `same content as ${first.rel} in class "${labels[dup.label]}"; a random split may put the copies in train and val (leakage); delete one`,
        });
      }
    }
  }
  return problems;
}

/** Class-level findings and the verdict, from per-item results. */
export function summarise(
  items: readonly InspectedItem[],
  labels: readonly string[],
  emptyClasses: readonly { name: string; rel: string }[],
  opts: { imbalanceRatio: number },
): Pick<CheckReport, 'usable' | 'classes' | 'trainClasses' | 'splits' | 'classWeights' | 'imbalanceRatio' | 'verdict'> & { problems: CheckProblem[] } {
  const counts = labels.map(() => 0);
  const splits: Partial<Record<Split, Record<string, number>>> = {};
  for (const it of items) {
    if (!it.good) continue;
    counts[it.label] = (counts[it.label] ?? 0) + 1;
    if (it.split) {
      const s = (splits[it.split] ??= {});
      const name = labels[it.label] ?? String(it.label);
      s[name] = (s[name] ?? 0) + 1;
    }
  }
  const problems: CheckProblem[] = [];
  const classes: Record<string, number> = {};
  for (const name of sortLabels([...labels, ...emptyClasses.map((e) => e.name)])) classes[name] = 0;
  labels.forEach((name, i) => (classes[name] = counts[i] ?? 0));
  for (const { name, rel } of emptyClasses) {
    problems.push({ path: rel, code: 'CLASS_EMPTY', severity: 'warning', message: `class folder "${name}" holds no images; it is left out of training — add images or delete the folder` });
  }
  labels.forEach((name, i) => {
    const n = counts[i] ?? 0;
    if (n === 0) {
      problems.push({ path: name, code: 'CLASS_EMPTY', severity: 'warning', message: `class "${name}" has no usable images (all failed the check); it is left out of training` });
    } else if (n === 1) {
      problems.push({ path: name, code: 'CLASS_SINGLE_IMAGE', severity: 'warning', message: `class "${name}" has a single image: it cannot be both trained on and validated, so it is left out of training; add more (tens at least)` });
    }
  });
  if (splits.train) {
    for (const split of ['val', 'test'] as const) {
      for (const name of Object.keys(splits[split] ?? {})) {
        if (!splits.train[name]) {
          problems.push({ path: `${split}/${name}`, code: 'SPLIT_MISSING_CLASS', severity: 'warning', message: `class "${name}" appears in ${split} but has no training images` });
        }
      }
    }
  }
  const present = counts.filter((c) => c > 0);
  const weights = balancedClassWeights(counts);
  const classWeights: Record<string, number> = {};
  labels.forEach((name, i) => {
    if ((counts[i] ?? 0) > 0) classWeights[name] = Number((weights[i] ?? 0).toFixed(4));
  });
  const ratio = present.length > 0 ? Math.max(...present) / Math.min(...present) : undefined;
  if (ratio !== undefined && ratio >= opts.imbalanceRatio && present.length >= 2) {
    const big = labels[counts.indexOf(Math.max(...present))];
    const small = labels[counts.indexOf(Math.min(...present))];
    problems.push({
      path: '.',
      code: 'IMBALANCE',
      severity: 'warning',
      message: `classes are imbalanced ${ratio.toFixed(1)}:1 ("${big}" ${Math.max(...present)} vs "${small}" ${Math.min(...present)} images); train with class weights ${JSON.stringify(classWeights)} or collect more of the small classes`,
    });
  }
  const trainClasses = labels.filter((_, i) => (counts[i] ?? 0) >= 2);
  const trainable = trainClasses.length;
  const usable = trainable >= 2;
  if (!usable) {
    problems.push({
      path: '.',
      code: 'TOO_FEW_CLASSES',
      severity: 'error',
      message: `only ${trainable} class(es) have at least 2 good images; a classifier needs at least 2 such classes`,
    });
  }
  const verdict = usable
    ? `usable: ${trainable} classes with at least 2 good images each (${trainClasses.join(', ')})`
    : `not usable: ${trainable} class(es) with at least 2 good images (need 2)`;
  return {
    usable,
    classes,
    trainClasses,
    ...(Object.keys(splits).length ? { splits } : {}),
    classWeights,
    ...(ratio === undefined ? {} : { imbalanceRatio: Number(ratio.toFixed(4)) }),
    verdict,
    problems,
  };
}
