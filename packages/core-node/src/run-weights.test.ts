import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runWeightsSha256, verifyRunWeights } from './run-weights.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('run weights checksum (issue 18.10)', () => {
  it('passes the recorded weights and refuses a same-size in-place overwrite, naming the file', async () => {
    const run = await mkdtemp(join(tmpdir(), 'hs-weights-'));
    dirs.push(run);
    expect(await runWeightsSha256(run)).toBeUndefined();
    await mkdir(join(run, 'model'));
    const weights = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251));
    await writeFile(join(run, 'model', 'weights.bin'), weights);
    const sha256 = (await runWeightsSha256(run)) as string;
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
    await verifyRunWeights(run, { weights: { sha256 } });
    await verifyRunWeights(run, {}); // older runs without a checksum pass
    const tampered = Buffer.from(weights);
    tampered[100] = (tampered[100]! + 1) % 256;
    await writeFile(join(run, 'model', 'weights.bin'), tampered);
    await expect(verifyRunWeights(run, { weights: { sha256 } })).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringMatching(/model\/weights\.bin does not match the checksum in headstart\.json .*the weights changed after training/),
    });
    await rm(join(run, 'model', 'weights.bin'));
    await expect(verifyRunWeights(run, { weights: { sha256 } })).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining('file missing') });
  });
});
