import { resizeRgb, type PixelRect } from '../preprocess/resize.ts';
import type { Rng } from '../random/rng.ts';
import type { AugmentSpec } from '../specs/schedule.ts';
import { affineMatrix, isIdentityAffine, warpAffine, type AffineParams } from './affine.ts';
import { cropRgb, sampleResizedCrop } from './crop.ts';

/** One concrete draw of every augmentation, so a transform can be logged, replayed or tested. */
export interface AugmentParams {
  /** Random-resized-crop box (then resized back to the full size), if enabled. */
  crop?: PixelRect;
  affine: AffineParams;
  flipHorizontal: boolean;
  flipVertical: boolean;
  /** Multiplicative brightness factor (1 = unchanged). */
  brightness: number;
}

/**
 * Draw augmentation parameters the way Keras' ImageDataGenerator.get_random_transform does
 * (rotation uniform in ±r degrees, shifts uniform in ±fraction × size, shear ±s degrees,
 * zoom x and y drawn independently in [1-z, 1+z], each flip with probability 1/2, brightness
 * uniform in its range), preceded by a torchvision-style random-resized-crop box.
 */
export function sampleAugmentParams(spec: AugmentSpec, h: number, w: number, rng: Rng): AugmentParams {
  const crop = spec.randomResizedCrop ? sampleResizedCrop(h, w, spec.randomResizedCrop.scale, spec.randomResizedCrop.ratio, rng) : undefined;
  const theta = spec.rotation > 0 ? rng.uniform(-spec.rotation, spec.rotation) : 0;
  const shiftY = spec.heightShift > 0 ? rng.uniform(-spec.heightShift, spec.heightShift) * h : 0;
  const shiftX = spec.widthShift > 0 ? rng.uniform(-spec.widthShift, spec.widthShift) * w : 0;
  const shear = spec.shear > 0 ? rng.uniform(-spec.shear, spec.shear) : 0;
  const zoomX = spec.zoom > 0 ? rng.uniform(1 - spec.zoom, 1 + spec.zoom) : 1;
  const zoomY = spec.zoom > 0 ? rng.uniform(1 - spec.zoom, 1 + spec.zoom) : 1;
  const flipHorizontal = spec.horizontalFlip ? rng.bool() : false;
  const flipVertical = spec.verticalFlip ? rng.bool() : false;
  const brightness = spec.brightness ? rng.uniform(spec.brightness[0], spec.brightness[1]) : 1;
  return { ...(crop ? { crop } : {}), affine: { theta, shiftX, shiftY, shear, zoomX, zoomY }, flipHorizontal, flipVertical, brightness };
}

/**
 * Apply drawn parameters in Keras' order (crop first, then the affine warp, horizontal then
 * vertical flip, then brightness `clamp(round(x · factor))`). Returns a new h×w×3 array.
 */
export function applyAugmentParams(
  rgb: Uint8Array,
  h: number,
  w: number,
  params: AugmentParams,
  fill: { mode?: AugmentSpec['fillMode']; value?: number } = {},
): Uint8Array {
  if (rgb.length !== h * w * 3) throw new RangeError(`augment: expected ${h}x${w}x3 = ${h * w * 3} bytes, got ${rgb.length}`);
  let x: Uint8Array = params.crop ? resizeRgb(cropRgb(rgb, w, params.crop), [params.crop.height, params.crop.width], [h, w], 'stretch') : new Uint8Array(rgb); // a copy even for a Buffer (whose slice() is a view)
  if (!isIdentityAffine(params.affine)) x = warpAffine(x, h, w, affineMatrix(params.affine, h, w), fill.mode ?? 'nearest', fill.value ?? 0);
  if (params.flipHorizontal) {
    for (let y = 0; y < h; y++)
      for (let i = 0, j = w - 1; i < j; i++, j--) {
        const a = (y * w + i) * 3;
        const b = (y * w + j) * 3;
        for (let c = 0; c < 3; c++) {
          const t = x[a + c]!;
          x[a + c] = x[b + c]!;
          x[b + c] = t;
        }
      }
  }
  if (params.flipVertical) {
    const row = w * 3;
    const tmp = new Uint8Array(row);
    for (let i = 0, j = h - 1; i < j; i++, j--) {
      tmp.set(x.subarray(i * row, (i + 1) * row));
      x.copyWithin(i * row, j * row, (j + 1) * row);
      x.set(tmp, j * row);
    }
  }
  if (params.brightness !== 1) {
    const f = params.brightness;
    for (let i = 0; i < x.length; i++) x[i] = Math.min(255, Math.round(x[i]! * f));
  }
  return x;
}

/**
 * Augment one RGB uint8 HWC image with a seeded RNG (ImageDataGenerator parity plus
 * random-resized-crop). All options off → an exact copy.
 * @example const out = augment(rgb, 224, 224, AugmentSpecSchema.parse({ horizontalFlip: true, rotation: 15 }), createRng(1));
 */
export function augment(rgb: Uint8Array, h: number, w: number, spec: AugmentSpec, rng: Rng): Uint8Array {
  return applyAugmentParams(rgb, h, w, sampleAugmentParams(spec, h, w, rng), { mode: spec.fillMode, value: spec.fillValue });
}
