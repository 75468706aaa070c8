import busboy from 'busboy';
import type { Request } from 'express';
import { HeadstartError } from '@headstart/core';
import { describeRefusedFormat, sniffAllowedImageFormat } from './magic.ts';

/** Content types accepted as a raw image body. */
export const RAW_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;

/** Limits for reading images out of a request. */
export interface ImageBodyLimits {
  /** Most bytes in the whole request body. */
  bodyLimitBytes: number;
  /** Most images in one multipart request. */
  maxImages: number;
}

function tooLarge(limit: number): HeadstartError {
  return new HeadstartError('PAYLOAD_TOO_LARGE', `request body is over the ${limit}-byte limit for this route`, { details: { limit } });
}

/** Refuses anything whose magic bytes are not JPEG, PNG or WebP (415), and empty files (400). */
export function assertAllowedImage(buf: Buffer, index: number): void {
  if (buf.length === 0) throw new HeadstartError('USAGE', `image ${index} is empty`);
  if (sniffAllowedImageFormat(buf) === undefined) {
    throw new HeadstartError(
      'IMAGE_FORMAT_UNSUPPORTED',
      `image ${index} is not JPEG, PNG or WebP (its bytes look like ${describeRefusedFormat(buf)}); only those formats are accepted`,
    );
  }
}

function readMultipart(req: Request, limits: ImageBodyLimits): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        limits: { fileSize: limits.bodyLimitBytes, files: limits.maxImages, fields: 16, fieldSize: 1024, parts: limits.maxImages + 16, headerPairs: 32 },
      });
    } catch (cause) {
      reject(new HeadstartError('USAGE', `malformed multipart request: ${(cause as Error).message}`, { cause }));
      return;
    }
    const images: Buffer[] = [];
    let total = 0;
    let failed: HeadstartError | undefined;
    const fail = (e: HeadstartError): void => {
      if (failed !== undefined) return;
      failed = e;
      req.unpipe(bb);
      req.resume();
      reject(e);
    };
    bb.on('file', (field, stream) => {
      if (field !== 'image') {
        stream.on('error', () => undefined); // the request already failed; a truncated tail must not crash
        stream.resume();
        fail(new HeadstartError('USAGE', `unexpected multipart file field "${field.slice(0, 40)}"; send images in field "image"`));
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => {
        total += c.length;
        if (total > limits.bodyLimitBytes) fail(tooLarge(limits.bodyLimitBytes));
        else chunks.push(c);
      });
      stream.on('limit', () => fail(tooLarge(limits.bodyLimitBytes)));
      // A body that ends inside a file part errors the file stream (not only busboy): without this
      // listener the 'error' event is unhandled and takes the whole process down.
      stream.on('error', (cause: Error) => fail(new HeadstartError('USAGE', `malformed multipart body: ${cause.message}`, { cause })));
      stream.on('end', () => images.push(Buffer.concat(chunks)));
    });
    bb.on('filesLimit', () => fail(new HeadstartError('USAGE', `too many images in one request (at most ${limits.maxImages})`)));
    bb.on('partsLimit', () => fail(new HeadstartError('USAGE', 'too many multipart parts')));
    bb.on('fieldsLimit', () => fail(new HeadstartError('USAGE', 'too many multipart fields')));
    bb.on('error', (cause: unknown) => fail(new HeadstartError('USAGE', `malformed multipart body: ${(cause as Error).message}`, { cause })));
    bb.on('close', () => {
      if (failed !== undefined) return;
      if (images.length === 0) reject(new HeadstartError('USAGE', 'multipart request has no file field "image"'));
      else resolve(images);
    });
    req.on('error', (cause) => fail(new HeadstartError('USAGE', `request aborted: ${cause.message}`, { cause })));
    req.pipe(bb);
  });
}

/** Reads a whole request body, refusing it (413) as soon as it passes `limit` bytes. */
export function readBody(req: Request, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return readRaw(req, limit);
}

function readRaw(req: Request, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      total += c.length;
      if (total > limit) {
        done = true;
        chunks.length = 0;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.on('error', (cause) => {
      if (done) return;
      done = true;
      reject(new HeadstartError('USAGE', `request aborted: ${cause.message}`, { cause }));
    });
  });
}

/**
 * Reads one image (raw `image/jpeg|png|webp` body) or several (multipart field `image`, repeated)
 * from a request, enforcing the size limit while streaming and the magic-byte allow-list.
 */
export async function readImages(req: Request, limits: ImageBodyLimits): Promise<Buffer[]> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (Number.isFinite(declared) && declared > limits.bodyLimitBytes) throw tooLarge(limits.bodyLimitBytes);
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  let images: Buffer[];
  if (type === 'multipart/form-data') images = await readMultipart(req, limits);
  else if ((RAW_IMAGE_TYPES as readonly string[]).includes(type)) images = [await readRaw(req, limits.bodyLimitBytes)];
  else {
    throw new HeadstartError(
      'IMAGE_FORMAT_UNSUPPORTED',
      `content type "${type.slice(0, 60) || '(none)'}" is not accepted; send multipart/form-data with field "image" or a raw image/jpeg, image/png or image/webp body`,
    );
  }
  images.forEach((buf, i) => assertAllowedImage(buf, i));
  return images;
}
