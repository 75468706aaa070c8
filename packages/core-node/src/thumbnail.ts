/** Small JPEG thumbnails as data: URIs, for self-contained HTML reports. */
import sharp from 'sharp';

/**
 * Encodes RGB pixels (HWC, 0–255) as a JPEG thumbnail of at most `side` pixels on its longer
 * edge, returned as a `data:image/jpeg;base64,…` URI (no network, no extra file).
 */
export async function thumbnailDataUri(pixels: Uint8Array, height: number, width: number, side = 96): Promise<string> {
  const scale = Math.min(1, side / Math.max(height, width));
  const jpeg = await sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), { raw: { width, height, channels: 3 } })
    .resize(Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale)), { kernel: 'lanczos3' })
    .jpeg({ quality: 80 })
    .toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}

/**
 * Encodes RGB pixels (HWC, 0–255) as PNG bytes, enlarged (nearest neighbour, so model-size
 * pixels stay visible as blocks) until the shorter edge is at least `minSide` pixels.
 */
export async function encodePng(pixels: Uint8Array, height: number, width: number, minSide = 0): Promise<Uint8Array> {
  const scale = Math.max(1, Math.ceil(minSide / Math.min(height, width)));
  let img = sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), { raw: { width, height, channels: 3 } });
  if (scale > 1) img = img.resize(width * scale, height * scale, { kernel: 'nearest' });
  return new Uint8Array(await img.png().toBuffer());
}
