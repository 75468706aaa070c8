import { HeadstartError } from '@headstart/core';

/** Checks `rgb` holds exactly count×h×w×3 values and returns it as float32 (copying uint8). */
export function toPixelTensorData(rgb: Float32Array | Uint8Array, count: number, size: readonly [number, number]): Float32Array {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
  const expected = count * size[0] * size[1] * 3;
  if (rgb.length !== expected) {
    throw new HeadstartError(
      'SPEC_MISMATCH',
      `pixel buffer has ${rgb.length} values, expected ${count}×${size[0]}×${size[1]}×3 = ${expected} (NHWC RGB at the model's input size)`,
      { details: { got: rgb.length, expected } },
    );
  }
  return rgb instanceof Float32Array ? rgb : Float32Array.from(rgb);
}

/**
 * For `grayscale` specs: replaces each RGB pixel (in place) by its Rec. 709 luma on all three
 * channels, rounding like the web entry's decoder, so Node and browser feed the same pixels.
 */
export function grayscaleRgbInPlace(rgb: Uint8Array): Uint8Array {
  for (let i = 0; i + 2 < rgb.length; i += 3) {
    const r = rgb[i] as number;
    const g = rgb[i + 1] as number;
    const b = rgb[i + 2] as number;
    const l = r === g && g === b ? r : Math.round(0.2126 * r + 0.7152 * g + 0.0722 * b);
    rgb[i] = l;
    rgb[i + 1] = l;
    rgb[i + 2] = l;
  }
  return rgb;
}
