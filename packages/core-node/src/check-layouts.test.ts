import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDataset } from './check.ts';
import { testImage } from '../testing/messy-dataset.ts';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hs-check-layouts-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const put = async (rel: string, data: Uint8Array | string): Promise<void> => {
  await mkdir(join(tmp, rel, '..'), { recursive: true });
  await writeFile(join(tmp, rel), data);
};

describe('checkDataset across layouts', () => {
  it('finds leakage between train and val folders and val-only classes', async () => {
    const shared = await testImage('jpeg', 1);
    await put('sp/train/cat/a.jpg', shared);
    await put('sp/train/cat/b.jpg', await testImage('jpeg', 2));
    await put('sp/train/dog/c.jpg', await testImage('jpeg', 3));
    await put('sp/train/dog/d.jpg', await testImage('jpeg', 4));
    await put('sp/val/cat/a-again.jpg', shared);
    await put('sp/val/fox/e.jpg', await testImage('jpeg', 5));
    const r = await checkDataset(join(tmp, 'sp'));
    expect(r.layout).toBe('split-folders');
    expect(r.splits).toEqual({ train: { cat: 2, dog: 2 }, val: { cat: 1, fox: 1 } });
    const codes = r.problems.map((p) => `${p.code} ${p.path}`);
    expect(codes).toContain('SPLIT_LEAKAGE val/cat/a-again.jpg');
    expect(codes).toContain('SPLIT_MISSING_CLASS val/fox');
    expect(r.usable).toBe(true);
  });

  it('reports CSV rows whose file is missing without stopping', async () => {
    await put('csv/a.png', await testImage('png', 1));
    await put('csv/b.png', await testImage('png', 2));
    await put('csv/c.png', await testImage('png', 3));
    await put('csv/m.csv', 'a.png,x\nb.png,x\nc.png,y\ngone.png,y\n');
    const r = await checkDataset(join(tmp, 'csv/m.csv'));
    expect(r.classes).toEqual({ x: 2, y: 1 });
    expect(r.problems.find((p) => p.code === 'FILE_MISSING')?.path).toBe('gone.png');
    expect(r.usable).toBe(false);
    expect(r.problems.some((p) => p.code === 'TOO_FEW_CLASSES')).toBe(true);
  });

  it('hashes IDX images: a test image equal to a training image is leakage', async () => {
    const idx = (dims: number[], data: number[]): Buffer => {
      const head = Buffer.alloc(4 + 4 * dims.length);
      head.set([0, 0, 8, dims.length]);
      dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
      return Buffer.concat([head, Buffer.from(data)]);
    };
    await put('idx/train-images-idx3-ubyte', idx([4, 1, 2], [1, 2, 3, 4, 5, 6, 7, 8]));
    await put('idx/train-labels-idx1-ubyte', idx([4], [0, 0, 1, 1]));
    await put('idx/t10k-images-idx3-ubyte', idx([1, 1, 2], [5, 6]));
    await put('idx/t10k-labels-idx1-ubyte', idx([1], [1]));
    const r = await checkDataset(join(tmp, 'idx'));
    expect(r.classes).toEqual({ '0': 2, '1': 3 });
    expect(r.problems.map((p) => `${p.code} ${p.path}`)).toEqual(['SPLIT_LEAKAGE train-images-idx3-ubyte#2']);
  });

  it('refuses files over maxFileBytes without reading them', async () => {
    await put('big/a/1.png', await testImage('png', 1, 200, 200));
    await put('big/a/2.png', await testImage('png', 2, 8, 8));
    await put('big/b/3.png', await testImage('png', 3, 8, 8));
    await put('big/b/4.png', await testImage('png', 4, 8, 8));
    await put('big/a/5.png', await testImage('png', 5, 8, 8));
    const r = await checkDataset(join(tmp, 'big'), { maxFileBytes: 2000, minSide: 1 });
    expect(r.problems.map((p) => `${p.code} ${p.path}`)).toEqual(['IMAGE_TOO_LARGE a/1.png']);
    expect(r.classes).toEqual({ a: 2, b: 2 });
  });

  it('reports an unreadable layout as a not-usable report instead of throwing', async () => {
    await put('flat/a.png', await testImage('png', 1));
    const r = await checkDataset(join(tmp, 'flat'));
    expect(r.usable).toBe(false);
    expect(r.problems.map((p) => p.code)).toEqual(['DATASET_LAYOUT']);
  });
});
