/** Image formats the API accepts, detected from their first bytes. */
export type AllowedImageFormat = 'jpeg' | 'png' | 'webp';

const startsWith = (buf: Uint8Array, bytes: number[], at = 0): boolean => bytes.every((b, i) => buf[at + i] === b);
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** Detects JPEG/PNG/WebP from magic bytes; anything else → undefined. */
export function sniffImageFormat(buf: Uint8Array): AllowedImageFormat | undefined {
  if (startsWith(buf, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(buf, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(buf, ascii('RIFF')) && startsWith(buf, ascii('WEBP'), 8)) return 'webp';
  return undefined;
}

/** Names a refused format for the error message (svg, tiff, pdf, html, gif, bmp, …) when recognisable. */
export function describeRefusedFormat(buf: Uint8Array): string {
  if (startsWith(buf, ascii('%PDF'))) return 'PDF';
  if (startsWith(buf, [0x49, 0x49, 0x2a, 0x00]) || startsWith(buf, [0x4d, 0x4d, 0x00, 0x2a])) return 'TIFF';
  if (startsWith(buf, ascii('GIF8'))) return 'GIF';
  if (startsWith(buf, ascii('BM'))) return 'BMP';
  const head = new TextDecoder().decode(buf.subarray(0, 512)).trimStart().toLowerCase();
  if (head.includes('<svg')) return 'SVG';
  if (head.startsWith('<!doctype html') || head.startsWith('<html') || head.includes('<html')) return 'HTML';
  if (head.startsWith('<?xml')) return 'XML';
  return 'unknown';
}
