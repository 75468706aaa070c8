import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { HeadstartError, dropAlphaToRgb, resizeRgb, type ResizeMode } from '@headstart/core';

/** Default decoded-pixel limit (100 megapixels): larger images are refused before decoding. */
export const DEFAULT_MAX_PIXELS = 100_000_000;

/** Options of `decodeImage`. */
export interface DecodeOptions {
  /** Output size [height, width]; omitted = the (auto-oriented) source size. */
  size?: readonly [number, number];
  /** How to fit `size` (PreprocessSpec resize modes); default `cover`. */
  resize?: ResizeMode;
  /** Refuse images whose header announces more pixels than this (default 100 MP). */
  maxPixels?: number;
  /** Colour of the `contain` padding (default black). Alpha is dropped, never flattened onto it. */
  background?: 'black' | 'white';
  /** Names the input in error messages (a path). */
  source?: string;
}

/** What a header says about an image, after EXIF orientation is taken into account. */
export interface ImageInfo {
  format: string;
  /** Width and height as displayed (EXIF orientation 5–8 swaps them). */
  width: number;
  height: number;
  /** Colour space as stored: `srgb`, `b-w`, `cmyk`, `rgb16`, `grey16`, … */
  space: string;
  /** Bits per sample as stored: `uchar` (8) or `ushort` (16), … */
  depth: string;
  channels: number;
  hasAlpha: boolean;
  /** EXIF orientation tag (1–8), when present. */
  orientation?: number;
}

/** 8-bit sRGB pixels, interleaved RGB (HWC), `height × width × 3` bytes. */
export interface DecodedImage {
  data: Uint8Array;
  width: number;
  height: number;
  /** The source image's header facts. */
  info: ImageInfo;
}

const undecodable = (source: string, cause: unknown): HeadstartError =>
  new HeadstartError(
    'IMAGE_UNDECODABLE',
    `${source} could not be decoded as an image (${cause instanceof Error ? cause.message : String(cause)}); re-save it as JPEG or PNG, or remove it`,
    { cause, details: { path: source } },
  );

function checkInput(input: Uint8Array): void {
  if (!(input instanceof Uint8Array)) throw new TypeError('decodeImage: input must be a Buffer or Uint8Array of encoded image bytes');
}

/**
 * Reads only the header of an encoded image (no pixel decoding) and refuses it with
 * IMAGE_TOO_LARGE when it announces more than `maxPixels` pixels.
 * @throws HeadstartError IMAGE_UNDECODABLE when the header is unreadable.
 */
export async function probeImage(input: Uint8Array, opts: Pick<DecodeOptions, 'maxPixels' | 'source'> = {}): Promise<ImageInfo> {
  checkInput(input);
  const source = opts.source ?? 'image';
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  let meta: sharp.Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw undecodable(source, e);
  }
  const { width, height } = meta.autoOrient ?? { width: meta.width, height: meta.height };
  if (!width || !height || !meta.format) throw undecodable(source, new Error('no dimensions in the header'));
  if (width * height > maxPixels) {
    throw new HeadstartError(
      'IMAGE_TOO_LARGE',
      `${source} is ${width}×${height} (${(width * height / 1e6).toFixed(1)} MP), over the ${(maxPixels / 1e6).toFixed(1)} MP decode limit; downscale it first or raise maxPixels`,
      { details: { path: source, width, height, maxPixels } },
    );
  }
  return {
    format: meta.format,
    width,
    height,
    space: meta.space ?? 'unknown',
    depth: meta.depth ?? 'unknown',
    channels: meta.channels ?? 0,
    hasAlpha: meta.hasAlpha ?? false,
    ...(meta.orientation === undefined ? {} : { orientation: meta.orientation }),
  };
}

function checkSize(size: readonly [number, number]): [number, number] {
  const [h, w] = size;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h <= 0 || w <= 0) {
    throw new RangeError(`decodeImage: size must be two positive integers [h, w], got [${size.join(', ')}]`);
  }
  return [h, w];
}

/**
 * Decodes encoded image bytes (any format sharp reads) to 8-bit sRGB RGB pixels and, given
 * `size`, resizes them with core's `resizeRgb` — the same code the browser runs, so Node and
 * web feed bit-identical pixels (sharp only decodes here; it never resamples). Steps: header
 * check against `maxPixels` before any pixel is decoded; EXIF auto-orientation; CMYK and
 * 16-bit → 8-bit sRGB; grey replicated to RGB; alpha DROPPED (not flattened: PIL's
 * `convert('RGB')` and the browser path drop it too); then `resizeRgb` with the PreprocessSpec
 * mode (`cover` centre-crop, `contain` padding in `background`, `stretch`). Takes bytes only —
 * never a path. Animated images yield their first frame.
 * @throws HeadstartError IMAGE_TOO_LARGE | IMAGE_UNDECODABLE (truncated or corrupt data).
 * @example const { data, width, height } = await decodeImage(buf, { size: [224, 224] });
 */
export async function decodeImage(input: Uint8Array, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const info = await probeImage(input, opts);
  const source = opts.source ?? 'image';
  const size = opts.size ? checkSize(opts.size) : undefined;
  let raw: { data: Buffer; info: sharp.OutputInfo };
  try {
    raw = await sharp(input, { limitInputPixels: opts.maxPixels ?? DEFAULT_MAX_PIXELS, failOn: 'warning' })
      .autoOrient()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw undecodable(source, e);
  }
  const { width, height, channels } = raw.info;
  const bytes = new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength);
  const rgb = channels === 3 ? bytes : dropAlphaToRgb(bytes, width * height, channels);
  if (!size) return { data: rgb, width, height, info };
  const background: [number, number, number] = opts.background === 'white' ? [255, 255, 255] : [0, 0, 0];
  return { data: resizeRgb(rgb, [height, width], size, opts.resize ?? 'cover', background), width: size[1], height: size[0], info };
}

/** Reads an image file into memory and decodes it with `decodeImage` (errors name the path). */
export async function readImageFile(path: string, opts: Omit<DecodeOptions, 'source'> = {}): Promise<DecodedImage> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new HeadstartError('IO', `cannot read image ${path}: ${(e as Error).message}`, { cause: e, details: { path } });
  }
  return decodeImage(bytes, { ...opts, source: path });
}

/** Raw single-channel pixels (e.g. an IDX image) → RGB (grey replicated), resized with `resizeRgb` like `decodeImage`. */
export async function greyToRgb(
  grey: Uint8Array,
  width: number,
  height: number,
  opts: Pick<DecodeOptions, 'size' | 'resize' | 'background'> = {},
): Promise<{ data: Uint8Array; width: number; height: number }> {
  const rgb = dropAlphaToRgb(grey, width * height, 1);
  if (!opts.size) return { data: rgb, width, height };
  const size = checkSize(opts.size);
  const background: [number, number, number] = opts.background === 'white' ? [255, 255, 255] : [0, 0, 0];
  return { data: resizeRgb(rgb, [height, width], size, opts.resize ?? 'cover', background), width: size[1], height: size[0] };
}
