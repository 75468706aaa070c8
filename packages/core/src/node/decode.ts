import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { HeadstartError } from '../errors.ts';
import type { ResizeMode } from '../specs/preprocess.ts';

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
  /** Colour transparent pixels are flattened on (default black, matching `contain` padding). */
  background?: 'black' | 'white';
  /** Resampling kernel (sharp's); default `lanczos3`. */
  kernel?: 'nearest' | 'linear' | 'cubic' | 'lanczos3';
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

const FIT: Record<ResizeMode, keyof sharp.FitEnum> = { cover: 'cover', contain: 'contain', stretch: 'fill' };

/**
 * Decodes encoded image bytes (any format sharp reads) to 8-bit sRGB RGB pixels:
 * EXIF auto-orientation; grey replicated to RGB; CMYK and 16-bit converted to 8-bit sRGB;
 * alpha flattened on black (or `background`); optional resize to `size` with the
 * PreprocessSpec modes (`cover` centre-crop, `contain` black padding, `stretch`). The
 * header is checked against `maxPixels` before any pixel is decoded. Takes bytes only —
 * never a path. Animated images yield their first frame.
 * @throws HeadstartError IMAGE_TOO_LARGE | IMAGE_UNDECODABLE (truncated or corrupt data).
 * @example const { data, width, height } = await decodeImage(buf, { size: [224, 224] });
 */
export async function decodeImage(input: Uint8Array, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const info = await probeImage(input, opts);
  const source = opts.source ?? 'image';
  const background = opts.background === 'white' ? { r: 255, g: 255, b: 255 } : { r: 0, g: 0, b: 0 };
  try {
    let pipeline = sharp(input, { limitInputPixels: opts.maxPixels ?? DEFAULT_MAX_PIXELS, failOn: 'warning' })
      .autoOrient()
      .flatten({ background })
      .toColourspace('srgb');
    if (opts.size) {
      const [h, w] = opts.size;
      if (!Number.isInteger(h) || !Number.isInteger(w) || h <= 0 || w <= 0) {
        throw new RangeError(`decodeImage: size must be two positive integers [h, w], got [${opts.size.join(', ')}]`);
      }
      pipeline = pipeline.resize(w, h, {
        fit: FIT[opts.resize ?? 'cover'],
        position: 'centre',
        background,
        kernel: opts.kernel ?? 'lanczos3',
      });
    }
    const { data, info: out } = await pipeline.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    return { data: toRgb(data, out.width, out.height, out.channels), width: out.width, height: out.height, info };
  } catch (e) {
    if (e instanceof RangeError) throw e;
    throw undecodable(source, e);
  }
}

function toRgb(data: Buffer, width: number, height: number, channels: number): Uint8Array {
  const pixels = width * height;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (channels === 3) return bytes;
  const rgb = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    const v = bytes[i * channels] ?? 0;
    rgb[i * 3] = v;
    rgb[i * 3 + 1] = channels >= 3 ? (bytes[i * channels + 1] ?? 0) : v;
    rgb[i * 3 + 2] = channels >= 3 ? (bytes[i * channels + 2] ?? 0) : v;
  }
  return rgb;
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

/** Decodes raw single-channel pixels (e.g. an IDX image) to RGB, resized like `decodeImage`. */
export async function greyToRgb(
  grey: Uint8Array,
  width: number,
  height: number,
  opts: Pick<DecodeOptions, 'size' | 'resize' | 'kernel'> = {},
): Promise<{ data: Uint8Array; width: number; height: number }> {
  let pipeline = sharp(grey, { raw: { width, height, channels: 1 } });
  if (opts.size) {
    const [h, w] = opts.size;
    pipeline = pipeline.resize(w, h, { fit: FIT[opts.resize ?? 'cover'], position: 'centre', background: { r: 0, g: 0, b: 0 }, kernel: opts.kernel ?? 'lanczos3' });
  }
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data: toRgb(data, info.width, info.height, info.channels), width: info.width, height: info.height };
}
