/** Label names of Fashion-MNIST in label-id order, spelled as safe folder names. */
export const FASHION_MNIST_LABELS: readonly string[] = [
  'T-shirt_top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle_boot',
];

/** Orders class names by code point (Python's `sorted`, hence Keras' class order). */
export function sortLabels(names: Iterable<string>): string[] {
  return [...new Set(names)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Name → label id for a label list; throws RangeError on duplicate or empty names. */
export function labelIndex(labels: readonly string[]): Map<string, number> {
  const map = new Map<string, number>();
  labels.forEach((name, i) => {
    if (name.length === 0) throw new RangeError(`label ${i} is empty`);
    if (map.has(name)) throw new RangeError(`label "${name}" appears twice (ids ${map.get(name)} and ${i})`);
    map.set(name, i);
  });
  return map;
}

/** Parses a class list file (one name per line; blank lines and `#` comments skipped). */
export function parseClassList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
}

/** Images per label id, for `labelCount` labels. */
export function countByLabel(items: readonly { label: number }[], labelCount: number): number[] {
  const counts = new Array<number>(labelCount).fill(0);
  for (const { label } of items) {
    if (label >= 0 && label < labelCount) counts[label] = (counts[label] ?? 0) + 1;
  }
  return counts;
}

/**
 * Class weights by scikit-learn's 'balanced' rule, n_samples / (n_classes · n_c), over the
 * classes that have at least one sample (empty classes get weight 0).
 */
export function balancedClassWeights(counts: readonly number[]): number[] {
  const present = counts.filter((c) => c > 0);
  const total = present.reduce((a, b) => a + b, 0);
  return counts.map((c) => (c > 0 ? total / (present.length * c) : 0));
}
