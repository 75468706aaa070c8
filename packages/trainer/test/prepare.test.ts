import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isHeadstartError, type TrainerEvent } from '@headstart/core';
import { testImage } from '@headstart/core-node/testing';
import { prepareData } from '../src/data/prepare.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('prepareData', () => {
  it('says how many images it skips and which (issue 18.9), and trains on the rest', async () => {
    const root = await mkdtemp(join(tmpdir(), 'hs-prepare-'));
    dirs.push(root);
    for (const [c, cls] of ['cat', 'dog'].entries()) {
      await mkdir(join(root, cls));
      for (let i = 0; i < 4; i++) await writeFile(join(root, cls, `${i}.png`), await testImage('png', 10 * c + i, 16, 16));
    }
    const good = await testImage('png', 99, 16, 16);
    await writeFile(join(root, 'cat', 'truncated.png'), good.subarray(0, good.length >> 1));
    await writeFile(join(root, 'dog', 'garbage.jpg'), Buffer.from('not an image at all'));
    const events: TrainerEvent[] = [];
    const data = await prepareData(root, { size: [8, 8], resize: 'cover', valSplit: 0.25, testSplit: 0, seed: 1, onEvent: (e) => events.push(e) });
    expect(data.train.paths.length + data.val.paths.length).toBe(8);
    const skipped = events.filter((e) => e.type === 'warning' && e.code === 'IMAGES_SKIPPED');
    expect(skipped).toHaveLength(1);
    const message = (skipped[0] as { message: string }).message;
    expect(message).toMatch(/^2 of 10 images are skipped/);
    expect(message).toContain('cat/truncated.png (IMAGE_');
    expect(message).toContain('dog/garbage.jpg (');
  });
});

describe('prepareData on a folder it cannot read at all', () => {
  it('a symlink loop is one line naming the link, not the verdict and the problem twice (issue 18.7)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'hs-prepare-loop-'));
    dirs.push(root);
    for (const cls of ['cat', 'dog']) {
      await mkdir(join(root, cls));
      for (let i = 0; i < 2; i++) await writeFile(join(root, cls, `${i}.png`), await testImage('png', i, 16, 16));
    }
    await symlink('..', join(root, 'cat', 'loop'));
    const err = await prepareData(root, { size: [8, 8], resize: 'cover', valSplit: 0.25, testSplit: 0, seed: 1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isHeadstartError(err, 'DATASET_UNUSABLE')).toBe(true);
    const lines = (err as Error).message.split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Dataset .* is not usable for training: symlink loop: .*loop leads back to /);
  });
});
