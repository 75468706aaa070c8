/**
 * Affine warps of RGB uint8 HWC images, composed like Keras' `apply_affine_transform`
 * (rotation · shift · shear · zoom, about the image centre, mapping each *output* pixel to
 * the *input* position it samples), with bilinear sampling and scipy.ndimage fill modes.
 */

/** Parameters of one affine augmentation, in Keras' units. */
export interface AffineParams {
  /** Rotation in degrees. */
  theta: number;
  /** Horizontal shift in pixels (sampling offset along x / columns). */
  shiftX: number;
  /** Vertical shift in pixels (sampling offset along y / rows). */
  shiftY: number;
  /** Shear angle in degrees. */
  shear: number;
  /** Zoom factors along x and y; > 1 samples a larger area (the content shrinks), as in Keras. */
  zoomX: number;
  zoomY: number;
}

/** How samples outside the image are filled (scipy.ndimage semantics). */
export type FillMode = 'nearest' | 'constant' | 'reflect';

/** Row-major 2×3 matrix [a, b, c, d, e, f]: x_in = a·x + b·y + c, y_in = d·x + e·y + f. */
export type Affine2x3 = [number, number, number, number, number, number];

type M3 = [number, number, number, number, number, number, number, number, number];

function mul(p: M3, q: M3): M3 {
  const r = new Array<number>(9).fill(0) as M3;
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += p[i * 3 + k]! * q[k * 3 + j]!;
      r[i * 3 + j] = s;
    }
  return r;
}

/** True when the params describe no transform at all. */
export function isIdentityAffine(p: AffineParams): boolean {
  return p.theta === 0 && p.shiftX === 0 && p.shiftY === 0 && p.shear === 0 && p.zoomX === 1 && p.zoomY === 1;
}

/**
 * The output→input sampling matrix for an h×w image, in (x = column, y = row) pixel-centre
 * coordinates, composed exactly as tf.keras (rotation · shift · shear · zoom; after its
 * row/column swap the matrices act on (x, y)). Shifts here are named by axis: tf.keras derives
 * its `tx` from height_shift_range but applies it to x (keras-team/tf-keras#310); we apply
 * widthShift to x and heightShift to y, as documented by Keras. The centre is the pixel-grid centre ((w-1)/2, (h-1)/2); Keras'
 * `transform_matrix_offset_center` uses n/2 + 0.5, one pixel off, which we do not copy (it
 * would make a 90° rotation shift the image by a pixel).
 */
export function affineMatrix(p: AffineParams, h: number, w: number): Affine2x3 {
  const t = (p.theta * Math.PI) / 180;
  const s = (p.shear * Math.PI) / 180;
  const cos = Math.abs(Math.cos(t)) < 1e-12 ? 0 : Math.cos(t);
  const sin = Math.abs(Math.sin(t)) < 1e-12 ? 0 : Math.sin(t);
  const rotation: M3 = [cos, -sin, 0, sin, cos, 0, 0, 0, 1];
  const shift: M3 = [1, 0, p.shiftX, 0, 1, p.shiftY, 0, 0, 1];
  const shear: M3 = [1, -Math.sin(s), 0, 0, Math.cos(s), 0, 0, 0, 1];
  const zoom: M3 = [p.zoomX, 0, 0, 0, p.zoomY, 0, 0, 0, 1];
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  const m = mul(mul([1, 0, cx, 0, 1, cy, 0, 0, 1], mul(mul(rotation, shift), mul(shear, zoom))), [1, 0, -cx, 0, 1, -cy, 0, 0, 1]);
  return [m[0], m[1], m[2], m[3], m[4], m[5]];
}

/** Map an out-of-range index into [0, n) per the fill mode (constant is handled by the caller). */
function mapIndex(i: number, n: number, mode: FillMode): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'reflect') {
    // scipy 'reflect' (half-sample symmetric): d c b a | a b c d | d c b a
    const period = 2 * n;
    let k = i % period;
    if (k < 0) k += period;
    return k >= n ? period - 1 - k : k;
  }
  return i < 0 ? 0 : n - 1;
}

/**
 * Warp an RGB uint8 HWC image with a 2×3 output→input matrix, bilinear sampling.
 * `constant` fills samples outside [0, w-1]×[0, h-1] with `fillValue` (scipy 'constant':
 * no interpolation beyond the edge); `nearest` extends the edge; `reflect` mirrors it.
 */
export function warpAffine(rgb: Uint8Array, h: number, w: number, m: Affine2x3, fillMode: FillMode = 'nearest', fillValue = 0): Uint8Array {
  const out = new Uint8Array(h * w * 3);
  const [a, b, c, d, e, f] = m;
  const eps = 1e-9;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let xi = a * x + b * y + c;
      let yi = d * x + e * y + f;
      const o = (y * w + x) * 3;
      if (fillMode === 'constant') {
        if (xi < -eps || yi < -eps || xi > w - 1 + eps || yi > h - 1 + eps) {
          out[o] = out[o + 1] = out[o + 2] = fillValue;
          continue;
        }
        xi = Math.min(Math.max(xi, 0), w - 1);
        yi = Math.min(Math.max(yi, 0), h - 1);
      }
      // Snap values within eps of an integer so exact maps (flips, 90° turns) stay exact.
      const rx = Math.round(xi);
      const ry = Math.round(yi);
      if (Math.abs(xi - rx) < eps) xi = rx;
      if (Math.abs(yi - ry) < eps) yi = ry;
      const x0 = Math.floor(xi);
      const y0 = Math.floor(yi);
      const fx = xi - x0;
      const fy = yi - y0;
      const inside = x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h;
      const xa = inside ? x0 : mapIndex(x0, w, fillMode);
      const xb = inside ? x0 + 1 : mapIndex(x0 + 1, w, fillMode);
      const ya = inside ? y0 : mapIndex(y0, h, fillMode);
      const yb = inside ? y0 + 1 : mapIndex(y0 + 1, h, fillMode);
      const p00 = (ya * w + xa) * 3;
      const p01 = (ya * w + xb) * 3;
      const p10 = (yb * w + xa) * 3;
      const p11 = (yb * w + xb) * 3;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      for (let ch = 0; ch < 3; ch++) {
        const v = rgb[p00 + ch]! * w00 + rgb[p01 + ch]! * w01 + rgb[p10 + ch]! * w10 + rgb[p11 + ch]! * w11;
        out[o + ch] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
      }
    }
  }
  return out;
}
