import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDataset } from '@headstart/core-node';
import { prepareData } from '../src/data/prepare.ts';
import { makeImageDataset, tempDir } from './fixtures.ts';

describe('one discovery for check and train', () => {
  it('train uses exactly the classes check says it will (no empty, all-broken or single-image class)', async () => {
    const root = join(await tempDir(), 'data');
    await makeImageDataset(root, { classes: 3, perClass: 6, size: 16 });
    const [first] = (await readdir(root)).sort();
    const some = join(root, first as string, ((await readdir(join(root, first as string))).sort()[0]) as string);
    await mkdir(join(root, 'single'));
    await copyFile(some, join(root, 'single', 'x.png'));
    await mkdir(join(root, 'broken'));
    await writeFile(join(root, 'broken', 'a.png'), 'not a png');
    await writeFile(join(root, 'broken', 'b.png'), 'not a png');
    await mkdir(join(root, 'empty'));
    const events: { type: string; message?: string }[] = [];
    const check = await checkDataset(root);
    const data = await prepareData(root, { size: [16, 16], resize: 'cover', valSplit: 0.2, testSplit: 0, seed: 1, onEvent: (e) => events.push(e) });
    expect(check.trainClasses).toHaveLength(3);
    expect(data.labels).toEqual(check.trainClasses);
    expect(check.verdict).toContain(check.trainClasses.join(', '));
    expect(data.trainCounts.every((n) => n > 0)).toBe(true);
    const all = [...data.train.labels, ...data.val.labels];
    expect(Math.max(...all)).toBe(2);
    for (const name of ['single', 'broken', 'empty']) {
      expect(events.some((e) => e.type === 'warning' && e.message?.includes(`"${name}"`) && e.message.includes('left out of training'))).toBe(true);
    }
  });
});
