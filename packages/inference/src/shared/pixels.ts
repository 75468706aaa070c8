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

/** Rec. 709 luma on all three channels, in place: core's one implementation (Node and web share it). */
export { grayscaleRgbInPlace } from '@headstart/core';
