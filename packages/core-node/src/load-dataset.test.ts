import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHeadstartError } from '@headstart/core';
import { writeFileAtomic } from './atomic.ts';
import { loadDataset, readDatasetItem } from './load-dataset.ts';
import { testImage } from '../testing/messy-dataset.ts';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hs-load-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const put = async (rel: string, data: Uint8Array | string): Promise<void> => {
  await mkdir(join(tmp, rel, '..'), { recursive: true });
  await writeFile(join(tmp, rel), data);
};

function idxBytes(dims: number[], data: Uint8Array): Uint8Array {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.set([0, 0, 8, dims.length]);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, data]);
}

describe('loadDataset', () => {
  it('reads class folders with nested files, any-case extensions, hidden files skipped', async () => {
    const png = await testImage('png', 1);
    await put('cf/b/x.PNG', png);
    await put('cf/b/deep/er/y.Jpeg', png);
    await put('cf/a/z.webp', png);
    await put('cf/a/.hidden.png', png);
    await put('cf/a/notes.txt', 'hi');
    await put('cf/.git/HEAD', 'ref');
    await mkdir(join(tmp, 'cf/empty'), { recursive: true });
    const ds = await loadDataset(join(tmp, 'cf'));
    expect(ds.layout).toBe('class-folders');
    expect(ds.labels).toEqual(['a', 'b']);
    expect(ds.emptyClasses).toEqual(['empty']);
    expect(ds.items.map((i) => [i.path.slice(tmp.length + 4), i.label])).toEqual([
      ['a/z.webp', 0],
      ['b/deep/er/y.Jpeg', 1],
      ['b/x.PNG', 1],
    ]);
    expect(ds.ignored).toEqual([{ path: 'a/notes.txt', reason: 'extension ".txt" is not an image type' }]);
  });

  it('reads explicit train/val/test folders', async () => {
    const png = await testImage('png', 2);
    await put('sp/train/cat/1.png', png);
    await put('sp/train/dog/2.png', png);
    await put('sp/val/cat/3.png', png);
    await put('sp/Test/dog/4.png', png);
    const ds = await loadDataset(join(tmp, 'sp'));
    expect(ds.layout).toBe('split-folders');
    expect(ds.labels).toEqual(['cat', 'dog']);
    expect(ds.items.map((i) => `${i.split}:${i.label}`).sort()).toEqual(['test:1', 'train:0', 'train:1', 'val:0']);
  });

  it('reads a CSV manifest with optional header, quoted fields and relative paths', async () => {
    const png = await testImage('png', 3);
    await put('csv/img/a b.png', png);
    await put('csv/img/c.png', png);
    await put('csv/labels.csv', 'path,label,split\n"img/a b.png","big, cat",train\nimg/c.png,dog,VAL\n');
    const ds = await loadDataset(join(tmp, 'csv/labels.csv'));
    expect(ds.layout).toBe('csv');
    expect(ds.labels).toEqual(['big, cat', 'dog']);
    expect(ds.items).toEqual([
      { path: join(tmp, 'csv/img/a b.png'), label: 0, split: 'train' },
      { path: join(tmp, 'csv/img/c.png'), label: 1, split: 'val' },
    ]);
    await put('csv2/m.csv', 'x.png,cat\nsub\\y.png,dog\n');
    const noHeader = await loadDataset(join(tmp, 'csv2'));
    expect(noHeader.items.map((i) => i.label)).toEqual([0, 1]);
    expect(noHeader.items[1]?.path).toBe(join(tmp, 'csv2/sub/y.png'));
    await put('csv3/m.csv', 'path,label\nx.png\n');
    await expect(loadDataset(join(tmp, 'csv3/m.csv'))).rejects.toMatchObject({ code: 'MANIFEST_INVALID' });
  });

  it('reads IDX pairs, gzipped or not, with a class list, and decodes items', async () => {
    const pixels = new Uint8Array(3 * 2 * 2).map((_, i) => i * 10);
    await put('idx/train-images-idx3-ubyte.gz', gzipSync(idxBytes([3, 2, 2], pixels)));
    await put('idx/train-labels-idx1-ubyte', idxBytes([3], new Uint8Array([0, 1, 1])));
    await put('idx/t10k-images-idx3-ubyte', idxBytes([1, 2, 2], new Uint8Array([9, 9, 9, 9])));
    await put('idx/t10k-labels-idx1-ubyte.gz', gzipSync(idxBytes([1], new Uint8Array([1]))));
    await put('idx/classes.txt', 'shirt\nshoe\n');
    const ds = await loadDataset(join(tmp, 'idx'));
    expect(ds.layout).toBe('idx');
    expect(ds.labels).toEqual(['shirt', 'shoe']);
    expect(ds.items.map((i) => `${i.split}:${i.label}`)).toEqual(['test:1', 'train:0', 'train:1', 'train:1']);
    const second = ds.items.find((i) => i.split === 'train' && i.idx?.index === 1);
    expect(second).toBeDefined();
    const px = await readDatasetItem(ds, second!);
    expect([px.width, px.height]).toEqual([2, 2]);
    expect([...px.data.subarray(0, 6)]).toEqual([40, 40, 40, 50, 50, 50]);
    const ten = new Uint8Array(Array.from({ length: 10 }, (_, i) => i));
    await put('fashion-mini/train-images-idx3-ubyte', idxBytes([10, 1, 1], ten));
    await put('fashion-mini/train-labels-idx1-ubyte', idxBytes([10], ten));
    expect((await loadDataset(join(tmp, 'fashion-mini'))).labels[9]).toBe('Ankle_boot');
    await put('plain-mini/train-images-idx3-ubyte', idxBytes([10, 1, 1], ten));
    await put('plain-mini/train-labels-idx1-ubyte', idxBytes([10], ten));
    expect((await loadDataset(join(tmp, 'plain-mini'))).labels[9]).toBe('9');
    await put('idx-bad/train-images-idx3-ubyte', idxBytes([3, 2, 2], pixels));
    await put('idx-bad/train-labels-idx1-ubyte', idxBytes([2], new Uint8Array([0, 1])));
    await expect(loadDataset(join(tmp, 'idx-bad'))).rejects.toMatchObject({ code: 'IDX_INVALID' });
  });

  it('fails with clear codes for missing, empty and shapeless folders', async () => {
    const err = await loadDataset(join(tmp, 'nope')).catch((e: unknown) => e);
    expect(isHeadstartError(err, 'DATASET_NOT_FOUND')).toBe(true);
    await mkdir(join(tmp, 'flat'), { recursive: true });
    await put('flat/a.png', await testImage('png', 4));
    await expect(loadDataset(join(tmp, 'flat'))).rejects.toMatchObject({ code: 'DATASET_LAYOUT' });
    await mkdir(join(tmp, 'hollow/a'), { recursive: true });
    await expect(loadDataset(join(tmp, 'hollow'))).rejects.toMatchObject({ code: 'DATASET_EMPTY' });
  });
});

describe('writeFileAtomic', () => {
  it('creates parents, replaces content and leaves no temporary file', async () => {
    const path = join(tmp, 'atomic/deep/out.json');
    await writeFileAtomic(path, '{"a":1}');
    await writeFileAtomic(path, new Uint8Array([123, 125]));
    expect(await readFile(path, 'utf8')).toBe('{}');
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(join(tmp, 'atomic/deep'))).toEqual(['out.json']);
  });
});
