import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { isHeadstartError } from '@headstart/core';
import { decodeImage, probeImage } from './decode.ts';
import { sniffImageFormat } from './sniff.ts';
import { testImage, testPixels } from '../testing/messy-dataset.ts';
import { hugePngHeader } from '../testing/png.ts';

async function expectCode(p: Promise<unknown>, code: string): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isHeadstartError(err) ? err.code : err).toBe(code);
  return err as Error;
}

describe('decodeImage', () => {
  it('decodes a PNG exactly to RGB at its own size', async () => {
    const png = await testImage('png', 3, 16, 9);
    const out = await decodeImage(png);
    expect([out.width, out.height, out.data.length]).toEqual([16, 9, 16 * 9 * 3]);
    expect(Buffer.from(out.data).equals(testPixels(16, 9, 3))).toBe(true);
  });

  it('auto-orients EXIF orientation 6 (rotated dimensions)', async () => {
    const jpg = await sharp(testPixels(60, 30, 1), { raw: { width: 60, height: 30, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const out = await decodeImage(jpg);
    expect([out.width, out.height]).toEqual([30, 60]);
    expect(out.info.orientation).toBe(6);
  });

  it('turns grey, CMYK, alpha and 16-bit inputs into 8-bit RGB', async () => {
    const grey = await sharp(Buffer.alloc(20 * 10, 77), { raw: { width: 20, height: 10, channels: 1 } }).toColourspace('b-w').png().toBuffer();
    const g = await decodeImage(grey);
    expect(g.info.channels).toBe(1);
    expect([...g.data.subarray(0, 6)]).toEqual([77, 77, 77, 77, 77, 77]);

    const rgbaPx = Buffer.alloc(4 * 4 * 4);
    for (let i = 0; i < 16; i++) rgbaPx.set([200, 100, 50, 0], i * 4);
    const transparent = await sharp(rgbaPx, { raw: { width: 4, height: 4, channels: 4 } }).png().toBuffer();
    // Alpha is dropped (PIL convert('RGB') and browser parity), not flattened: the stored RGB stays.
    expect([...(await decodeImage(transparent)).data.subarray(0, 3)]).toEqual([200, 100, 50]);
    expect([...(await decodeImage(transparent, { background: 'white' })).data.subarray(0, 3)]).toEqual([200, 100, 50]);

    const solid = Buffer.alloc(8 * 8 * 3);
    for (let i = 0; i < 64; i++) solid.set([200, 100, 50], i * 3);
    const img = () => sharp(solid, { raw: { width: 8, height: 8, channels: 3 } });
    const deep = await decodeImage(await img().toColourspace('rgb16').png().toBuffer());
    expect(deep.info.depth).toBe('ushort');
    expect([...deep.data.subarray(0, 3)]).toEqual([200, 100, 50]);
    const cmyk = await decodeImage(await img().toColourspace('cmyk').jpeg({ quality: 100 }).toBuffer());
    expect(cmyk.info.space).toBe('cmyk');
    expect(cmyk.data.length).toBe(8 * 8 * 3);
    const [r = 0, gg = 0, b = 0] = cmyk.data;
    expect(r).toBeGreaterThan(gg);
    expect(gg).toBeGreaterThan(b);
  });

  it('resizes with cover, contain and stretch', async () => {
    // 40 wide × 20 high: left half white, right half black.
    const px = Buffer.alloc(40 * 20 * 3);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 20; x++) px.fill(255, (y * 40 + x) * 3, (y * 40 + x) * 3 + 3);
    const png = await sharp(px, { raw: { width: 40, height: 20, channels: 3 } }).png().toBuffer();
    const at = (d: Uint8Array, w: number, x: number, y: number) => d[(y * w + x) * 3] ?? -1;
    const cover = await decodeImage(png, { size: [10, 10], resize: 'cover' });
    expect([cover.width, cover.height]).toEqual([10, 10]);
    expect([at(cover.data, 10, 0, 5), at(cover.data, 10, 9, 5)]).toEqual([255, 0]);
    const contain = await decodeImage(png, { size: [10, 10], resize: 'contain' });
    expect([at(contain.data, 10, 0, 0), at(contain.data, 10, 0, 5)]).toEqual([0, 255]); // black padding above
    const white = await decodeImage(png, { size: [10, 10], resize: 'contain', background: 'white' });
    expect([at(white.data, 10, 0, 0), at(white.data, 10, 9, 5)]).toEqual([255, 0]); // background = contain padding only
    const stretch = await decodeImage(png, { size: [10, 4], resize: 'stretch' });
    expect([stretch.width, stretch.height]).toEqual([4, 10]);
    expect([at(stretch.data, 4, 0, 0), at(stretch.data, 4, 3, 9)]).toEqual([255, 0]);
  });

  it('refuses a 20000×20000 PNG from its header alone, in well under a second', async () => {
    const bomb = hugePngHeader(20000, 20000);
    expect(bomb.length).toBeLessThan(10_000);
    const t0 = performance.now();
    const err = await expectCode(decodeImage(bomb, { source: 'bomb.png' }), 'IMAGE_TOO_LARGE');
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(500);
    expect(err.message).toContain('bomb.png');
    expect(err.message).toContain('20000×20000');
  });

  it('honours a lower maxPixels and reports truncated or junk data as IMAGE_UNDECODABLE', async () => {
    const jpg = await testImage('jpeg', 2, 200, 200);
    await expectCode(probeImage(jpg, { maxPixels: 100 * 100 }), 'IMAGE_TOO_LARGE');
    await expectCode(decodeImage(jpg.subarray(0, jpg.length - 400)), 'IMAGE_UNDECODABLE');
    await expectCode(decodeImage(Buffer.from('hello world')), 'IMAGE_UNDECODABLE');
    await expect(decodeImage('a/path.jpg' as unknown as Buffer)).rejects.toThrow(TypeError);
  });
});

describe('sniffImageFormat', () => {
  it('recognises image magic bytes and rejects text', async () => {
    expect(sniffImageFormat(await testImage('jpeg', 1))).toBe('jpeg');
    expect(sniffImageFormat(await testImage('png', 1))).toBe('png');
    expect(sniffImageFormat(await sharp(testPixels(4, 4, 1), { raw: { width: 4, height: 4, channels: 3 } }).webp().toBuffer())).toBe('webp');
    expect(sniffImageFormat(Buffer.from('<html>not found</html>'))).toBeUndefined();
    expect(sniffImageFormat(new Uint8Array(0))).toBeUndefined();
  });
});
