/** One surface's answer for one image: the label it ranks first and every class probability. */
export interface SurfaceAnswer {
  top1: string;
  probabilities: Record<string, number>;
  /** The surface's answer: its top label, or "unknown" below the model's threshold (compared when the reference has one). */
  answer?: string;
}

/** A disagreement between a surface and the reference, for one image. */
export interface Disagreement {
  image: string;
  surface: string;
  reason: string;
}

/**
 * Compares every surface's answers with the reference surface's, image by image: equal top-1,
 * the same label set, and every probability within `tolerance`. Returns all disagreements
 * (empty when all agree); an image a surface did not answer is a disagreement too.
 */
export function compareSurfaces(
  answers: Record<string, Record<string, SurfaceAnswer>>,
  reference: string,
  tolerance = 1e-4,
): Disagreement[] {
  const ref = answers[reference];
  if (!ref) throw new RangeError(`reference surface "${reference}" has no answers`);
  const out: Disagreement[] = [];
  for (const [surface, byImage] of Object.entries(answers)) {
    if (surface === reference) continue;
    for (const [image, expected] of Object.entries(ref)) {
      const got = byImage[image];
      if (!got) {
        out.push({ image, surface, reason: 'no answer' });
        continue;
      }
      if (got.top1 !== expected.top1) {
        out.push({ image, surface, reason: `top-1 ${got.top1} ≠ ${expected.top1}` });
      }
      if (expected.answer !== undefined && got.answer !== expected.answer) {
        out.push({ image, surface, reason: `answer ${got.answer ?? '(none)'} ≠ ${expected.answer}` });
      }
      for (const [label, p] of Object.entries(expected.probabilities)) {
        const q = got.probabilities[label];
        if (q === undefined) out.push({ image, surface, reason: `no probability for ${label}` });
        else if (!(Math.abs(q - p) <= tolerance)) {
          out.push({ image, surface, reason: `p(${label}) ${q} vs ${p} (|Δ| > ${tolerance})` });
        }
      }
      for (const label of Object.keys(got.probabilities)) {
        if (!(label in expected.probabilities)) out.push({ image, surface, reason: `unexpected label ${label}` });
      }
    }
  }
  return out;
}
