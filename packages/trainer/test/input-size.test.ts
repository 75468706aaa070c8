import { beforeAll, describe, expect, it } from 'vitest';
import { loadBase, selectBackend } from '../src/index.ts';
import { makeTinyBase, tempDir } from './fixtures.ts';

describe('loadBase input size', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('keeps a [height, width] size as it is (what a resumed run passes from its manifest)', async () => {
    const ref = await makeTinyBase(await tempDir());
    const base = await loadBase(ref, { inputSize: [40, 56] });
    expect(base.inputSize).toEqual([40, 56]);
    expect(base.model.inputs[0]?.shape).toEqual([null, 40, 56, 3]);
    expect((await loadBase(ref, { inputSize: 48 })).inputSize).toEqual([48, 48]);
    await expect(loadBase(ref, { inputSize: [40, 5000] })).rejects.toMatchObject({ code: 'INPUT_SIZE_UNSUPPORTED', message: expect.stringContaining('5000') });
  });
});
