import { dropAlphaToRgb, grayscaleRgbInPlace, HeadstartError, toModelPixels, type PreprocessSpec } from '@headstart/core';

/** Anything the browser can turn into pixels: an encoded file/blob, a bitmap, a video frame, a canvas. */
export type WebImageSource = Blob | ImageBitmap | HTMLVideoElement | HTMLCanvasElement | HTMLImageElement | OffscreenCanvas;

/** Decoded RGBA pixels, EXIF orientation applied, no colour-space conversion, alpha not premultiplied. */
export interface DecodedRgba {
  data: Uint8ClampedArray;
  width: number;
  height: number;
  /**
   * False only when the image has semi-transparent pixels and no WebGL context could read them:
   * the 2D canvas premultiplies, so their RGB may then be off by the premultiply rounding.
   */
  exact: boolean;
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

function hasTranslucency(rgba: Uint8ClampedArray): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return true;
  return false;
}

/**
 * Reads a bitmap's unpremultiplied RGBA exactly through WebGL (texture upload with
 * UNPACK_PREMULTIPLY_ALPHA false, then readPixels). A 2D canvas stores premultiplied pixels, so
 * the RGB under semi-transparent pixels would come back rounded; sharp (the Node path) and PIL
 * keep it exactly. Returns undefined where WebGL is unavailable or the image exceeds its texture size.
 */
function readRgbaExact(bitmap: ImageBitmap): Uint8ClampedArray | undefined {
  const { width, height } = bitmap;
  const canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(1, 1) : document.createElement('canvas');
  const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | WebGL2RenderingContext | null;
  if (!gl) return undefined;
  try {
    const max = gl.getParameter(gl.MAX_TEXTURE_SIZE) as number;
    if (width > max || height > max) return undefined;
    const tex = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, tex);
    gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
    gl.pixelStorei(gl.UNPACK_COLORSPACE_CONVERSION_WEBGL, gl.NONE);
    gl.pixelStorei(gl.UNPACK_FLIP_Y_WEBGL, false);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, bitmap);
    const fb = gl.createFramebuffer();
    gl.bindFramebuffer(gl.FRAMEBUFFER, fb);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, tex, 0);
    if (gl.checkFramebufferStatus(gl.FRAMEBUFFER) !== gl.FRAMEBUFFER_COMPLETE) return undefined;
    gl.pixelStorei(gl.PACK_ALIGNMENT, 1);
    const out = new Uint8ClampedArray(width * height * 4);
    // Texture row 0 is the image's top row (no flip on upload), so rows come out top-first.
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, out);
    return gl.getError() === gl.NO_ERROR ? out : undefined;
  } finally {
    gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
}

/**
 * Decodes an image source to full-resolution RGBA (createImageBitmap with imageOrientation
 * 'from-image', no premultiply, no colour conversion). Opaque images are read from a 2D canvas;
 * images with semi-transparent pixels are re-read through WebGL so their stored RGB is exact.
 */
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
    const data = ctx.getImageData(0, 0, width, height).data;
    if (!hasTranslucency(data)) return { data, width, height, exact: true };
    const exact = readRgbaExact(bitmap);
    return exact ? { data: exact, width, height, exact: true } : { data, width, height, exact: false };
  } finally {
    bitmap.close();
  }
}

/**
 * Drops alpha (core's dropAlphaToRgb: the Node path and PIL convert('RGB') drop it too) and, for
 * `grayscale` specs, replaces each pixel by its Rec. 709 luma on all three channels (core's
 * grayscaleRgbInPlace). Returns interleaved RGB.
 */
export function rgbaToRgb(rgba: ArrayLike<number>, pixels: number, grayscale = false): Uint8Array {
  const rgb = dropAlphaToRgb(rgba, pixels, 4);
  return grayscale ? grayscaleRgbInPlace(rgb) : rgb;
}

/**
 * Decodes an image and turns it into the model's input pixels with core's toModelPixels — the
 * same steps and code as the Node path (drop alpha → luma for grayscale specs → resizeRgb):
 * RGB uint8 NHWC of spec.size, bit-identical to `decodeImage` + `toModelPixels` in Node.
 */
export async function imageToModelPixels(source: WebImageSource, spec: PreprocessSpec, opts: { maxPixels?: number } = {}): Promise<Uint8Array> {
  const rgba = await decodeToRgba(source, opts);
  return toModelPixels(dropAlphaToRgb(rgba.data, rgba.width * rgba.height, 4), [rgba.height, rgba.width], spec);
}
