/** Number formats shared by the trainer's messages and reports. */

/** A fraction as a percentage with one decimal: 0.8123 → "81.2%". */
export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
