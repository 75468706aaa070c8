import { decodeImage } from '@headstart/core/node';
import type { PreprocessSpec } from '@headstart/core';
import { grayscaleRgbInPlace } from '../shared/pixels.ts';

/** Decoding options for {@link decodeForModel}. */
export interface DecodeOptions {
  /** Refuse images with more decoded pixels than this (decompression bombs); default core's limit. */
  maxPixels?: number;
}

/**
 * Decodes an encoded image (any format sharp reads) with core's `decodeImage` (EXIF orientation,
 * grey/CMYK/alpha/16-bit → 8-bit RGB, pixel cap before decoding) resized to the model's input per
 * its PreprocessSpec (grayscale specs: Rec. 709 luma on all channels). Returns RGB uint8 NHWC for one image.
 * @throws HeadstartError IMAGE_TOO_LARGE | IMAGE_UNDECODABLE
 */
export async function decodeForModel(input: Buffer | Uint8Array, spec: PreprocessSpec, opts: DecodeOptions = {}): Promise<Uint8Array> {
  const { data } = await decodeImage(input, {
    size: spec.size,
    resize: spec.resize,
    ...(opts.maxPixels === undefined ? {} : { maxPixels: opts.maxPixels }),
  });
  return spec.grayscale ? grayscaleRgbInPlace(data) : data;
}
