import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDataset } from './check.ts';
import { loadDataset } from './load-dataset.ts';
import { testImage } from '../testing/messy-dataset.ts';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hs-loop-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function dataset(name: string): Promise<string> {
  const root = join(tmp, name);
  const png = await testImage('png', 1);
  for (const cls of ['a', 'b']) {
    await mkdir(join(root, cls), { recursive: true });
    await writeFile(join(root, cls, `${cls}1.png`), png);
    await writeFile(join(root, cls, `${cls}2.png`), png);
  }
  return root;
}

describe('directory links in discovery (issue 18.7)', () => {
  it('follows links to folders elsewhere', async () => {
    const root = await dataset('linked');
    const extra = join(tmp, 'extra-a');
    await mkdir(extra);
    await writeFile(join(extra, 'a3.png'), await testImage('png', 2));
    await symlink(extra, join(root, 'a', 'more'));
    const ds = await loadDataset(root);
    expect(ds.items.filter((i) => i.label === 0)).toHaveLength(3);
  });

  it('a link back to a folder it is inside is a DATASET_LAYOUT error naming the link; check reports it as one problem', async () => {
    for (const [name, link, target] of [
      ['to-parent', join('a', 'loop'), '..'],
      ['to-self', join('b', 'self'), '.'],
      ['deep', join('a', 'x', 'back'), join('..', '..', '..', 'deep')],
    ] as const) {
      const root = await dataset(name);
      await mkdir(join(root, link, '..'), { recursive: true });
      await symlink(target, join(root, link));
      await expect(loadDataset(root), name).rejects.toMatchObject({ code: 'DATASET_LAYOUT', message: expect.stringMatching(/^symlink loop: .* leads back to .*; remove the link/) });
      const report = await checkDataset(root);
      expect(report.usable).toBe(false);
      expect(report.problems).toHaveLength(1);
      expect(report.problems[0]!.message).toContain(join(root, link));
    }
  });
});
