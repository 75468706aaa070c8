/** Scalars of one Adam update: betas, epsilon, learning rate and the bias corrections 1 − βᵗ. */
export interface AdamScalars {
  b1: number;
  b2: number;
  eps: number;
  lr: number;
  c1: number;
  c2: number;
}

/** One Adam update of `w` in place with gradient `g`, moments `m` and `s` updated alongside (all the same length). */
export function adamUpdate(w: Float32Array, m: Float32Array, s: Float32Array, g: Float32Array, a: AdamScalars): void;
