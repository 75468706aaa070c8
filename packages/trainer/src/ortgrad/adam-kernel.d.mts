/** Float32 scalars of one Adam update, as TF.js rounds them: β1, 1 − β1, β2, 1 − β2, the bias corrections 1 − βᵗ, ε and −learning rate. */
export interface AdamScalars {
  b1: number;
  a1: number;
  b2: number;
  a2: number;
  c1: number;
  c2: number;
  eps: number;
  nlr: number;
}

/**
 * One Adam update in `memory`: weights, moments and gradient at byte offsets `w`, `m`, `s`, `g`
 * (16-byte aligned), `n` values each (a multiple of 4).
 */
export type AdamKernel = (w: number, m: number, s: number, g: number, n: number, a: AdamScalars) => void;

/** The WebAssembly SIMD Adam kernel bound to `memory` (shared or not). */
export function adamKernel(memory: WebAssembly.Memory): AdamKernel;
