import { sniffImageFormat } from '@headstart/core-node';

/** Image formats the API accepts, detected from their first bytes. */
export type AllowedImageFormat = 'jpeg' | 'png' | 'webp';
const ALLOWED: readonly string[] = ['jpeg', 'png', 'webp'];

/** JPEG/PNG/WebP by magic bytes (core's sniffer); anything else → undefined. */
export function sniffAllowedImageFormat(buf: Uint8Array): AllowedImageFormat | undefined {
  const format = sniffImageFormat(buf);
  return format !== undefined && ALLOWED.includes(format) ? (format as AllowedImageFormat) : undefined;
}

/** Names a refused format for the error message (SVG, TIFF, PDF, HTML, GIF, …) when recognisable. */
export function describeRefusedFormat(buf: Uint8Array): string {
  const format = sniffImageFormat(buf);
  if (format !== undefined) return format.toUpperCase();
  const head = new TextDecoder().decode(buf.subarray(0, 512)).trimStart().toLowerCase();
  if (head.startsWith('%pdf')) return 'PDF';
  if (head.includes('<svg')) return 'SVG';
  if (head.includes('<html') || head.startsWith('<!doctype html')) return 'HTML';
  if (head.startsWith('<?xml')) return 'XML';
  return 'unknown';
}
