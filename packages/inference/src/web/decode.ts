import { HeadstartError, resizeRgb, type PreprocessSpec } from '@headstart/core';

/** Anything the browser can turn into pixels: an encoded file/blob, a bitmap, a video frame, a canvas. */
export type WebImageSource = Blob | ImageBitmap | HTMLVideoElement | HTMLCanvasElement | HTMLImageElement | OffscreenCanvas;

/** Decoded RGBA pixels, EXIF orientation applied, no colour-space conversion, alpha not premultiplied. */
export interface DecodedRgba {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

const DEFAULT_MAX_PIXELS = 64_000_000;

function canvas2d(width: number, height: number): OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D {
  if (typeof OffscreenCanvas !== 'undefined') {
    const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
    if (ctx) return ctx;
  }
  const el = document.createElement('canvas');
  el.width = width;
  el.height = height;
  const ctx = el.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new HeadstartError('IMAGE_UNDECODABLE', 'This browser cannot create a 2D canvas to read image pixels.');
  return ctx;
}

/** Decodes an image source to full-resolution RGBA (createImageBitmap with imageOrientation 'from-image'). */
export async function decodeToRgba(source: WebImageSource, opts: { maxPixels?: number } = {}): Promise<DecodedRgba> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(source, {
      imageOrientation: 'from-image',
      premultiplyAlpha: 'none',
      colorSpaceConversion: 'none',
    });
  } catch (cause) {
    const name = source instanceof File ? ` "${source.name}"` : '';
    throw new HeadstartError('IMAGE_UNDECODABLE', `The browser could not decode the image${name}; use a PNG, JPEG, WebP or GIF file.`, { cause });
  }
  try {
    const { width, height } = bitmap;
    const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
    if (width * height > maxPixels) {
      throw new HeadstartError('IMAGE_TOO_LARGE', `Image is ${width}x${height} = ${width * height} pixels, over the limit of ${maxPixels}.`);
    }
    if (width === 0 || height === 0) throw new HeadstartError('IMAGE_UNDECODABLE', 'The image has no pixels (0 width or height).');
    const ctx = canvas2d(width, height);
    ctx.drawImage(bitmap, 0, 0);
    return { data: ctx.getImageData(0, 0, width, height).data, width, height };
  } finally {
    bitmap.close();
  }
}

/**
 * Drops alpha (like sharp's removeAlpha) and, for `grayscale` specs, replaces each pixel by its
 * Rec. 709 luma on all three channels. Returns interleaved RGB.
 */
export function rgbaToRgb(rgba: ArrayLike<number>, pixels: number, grayscale = false): Uint8Array {
  if (rgba.length < pixels * 4) throw new RangeError(`rgbaToRgb: expected ${pixels * 4} values, got ${rgba.length}`);
  const out = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    const r = rgba[i * 4] as number;
    const g = rgba[i * 4 + 1] as number;
    const b = rgba[i * 4 + 2] as number;
    if (grayscale) {
      const l = r === g && g === b ? r : Math.round(0.2126 * r + 0.7152 * g + 0.0722 * b);
      out[i * 3] = l;
      out[i * 3 + 1] = l;
      out[i * 3 + 2] = l;
    } else {
      out[i * 3] = r;
      out[i * 3 + 1] = g;
      out[i * 3 + 2] = b;
    }
  }
  return out;
}

/**
 * Decodes an image and resizes it as the PreprocessSpec says (core's resizeRgb: sharp's geometry,
 * antialiased bilinear): RGB uint8 NHWC of spec.size.
 */
export async function imageToModelPixels(source: WebImageSource, spec: PreprocessSpec, opts: { maxPixels?: number } = {}): Promise<Uint8Array> {
  const rgba = await decodeToRgba(source, opts);
  const rgb = rgbaToRgb(rgba.data, rgba.width * rgba.height, spec.grayscale);
  return resizeRgb(rgb, [rgba.height, rgba.width], spec.size, spec.resize);
}
