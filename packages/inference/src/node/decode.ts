import sharp from 'sharp';
import { HeadstartError, type PreprocessSpec } from '@headstart/core';

/** Decoding options for {@link decodeForModel}. */
export interface DecodeOptions {
  /** Refuse images with more decoded pixels than this (decompression bombs); default 40 megapixels. */
  maxPixels?: number;
}

const FIT = { cover: 'cover', contain: 'contain', stretch: 'fill' } as const;

/**
 * Decodes an encoded image (any format sharp reads), honours EXIF orientation, and resizes it to the
 * model's input per its PreprocessSpec. Returns RGB uint8 NHWC for one image.
 * TODO(core): switch to `decodeImage` from '@headstart/core/node' once it lands (same contract).
 */
export async function decodeForModel(input: Buffer | Uint8Array, spec: PreprocessSpec, opts: DecodeOptions = {}): Promise<Uint8Array> {
  const limit = opts.maxPixels ?? 40_000_000;
  const [h, w] = spec.size;
  let meta: sharp.Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: false, failOn: 'error' }).metadata();
  } catch (cause) {
    throw new HeadstartError('IMAGE_UNDECODABLE', `image could not be decoded: ${(cause as Error).message}`, { cause });
  }
  const pixels = (meta.width ?? 0) * (meta.height ?? 0) * Math.max(1, meta.pages ?? 1);
  if (pixels > limit) {
    throw new HeadstartError('IMAGE_TOO_LARGE', `image is ${meta.width}×${meta.height} (${pixels} pixels), over the limit of ${limit} pixels`, {
      details: { width: meta.width, height: meta.height, limit },
    });
  }
  try {
    let img = sharp(input, { limitInputPixels: limit, failOn: 'error' }).rotate();
    if (spec.grayscale) img = img.grayscale();
    const { data, info } = await img
      .removeAlpha()
      .toColourspace('srgb')
      .resize(w, h, { fit: FIT[spec.resize], position: 'centre', background: { r: 0, g: 0, b: 0 } })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels === 3) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const out = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) {
      for (let c = 0; c < 3; c++) out[i * 3 + c] = data[i * info.channels + Math.min(c, info.channels - 1)] ?? 0;
    }
    return out;
  } catch (cause) {
    throw new HeadstartError('IMAGE_UNDECODABLE', `image could not be decoded: ${(cause as Error).message}`, { cause });
  }
}
