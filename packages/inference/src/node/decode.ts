import { decodeImage } from '@headstart/core-node';
import { toModelPixels, type PreprocessSpec } from '@headstart/core';

/** Decoding options for {@link decodeForModel}. */
export interface DecodeOptions {
  /** Refuse images with more decoded pixels than this (decompression bombs); default core's limit. */
  maxPixels?: number;
}

/**
 * Decodes an encoded image (any format sharp reads) with core's `decodeImage` at native size
 * (EXIF orientation, grey/CMYK/16-bit → 8-bit RGB, alpha dropped, pixel cap before decoding),
 * then core's `toModelPixels` (Rec. 709 luma for grayscale specs, then `resizeRgb`) — the same
 * code the browser entry runs, so both feed bit-identical pixels. Returns RGB uint8 NHWC for one image.
 * @throws HeadstartError IMAGE_TOO_LARGE | IMAGE_UNDECODABLE
 */
export async function decodeForModel(input: Buffer | Uint8Array, spec: PreprocessSpec, opts: DecodeOptions = {}): Promise<Uint8Array> {
  const { data, width, height } = await decodeImage(input, opts.maxPixels === undefined ? {} : { maxPixels: opts.maxPixels });
  return toModelPixels(data, [height, width], spec);
}
