import { describe, expect, it } from 'vitest';
import { isHeadstartError } from '@headstart/core';
import { layerNotFound } from '../src/bases/artifacts.ts';
import { loadBase } from '../src/bases/load-base.ts';

describe('did-you-mean for --cut and --base', () => {
  it('a mistyped cut suggests the closest layers, not the last ones', () => {
    const names = ['input_1', 'block_9_add', 'block_9_project_BN', 'block_12_add', 'out_relu', 'Conv_1', 'Conv_1_bn'];
    const e = layerNotFound('blok_9_add', names);
    expect(e.message).toContain('did you mean "block_9_add"');
    expect(e.message).not.toContain('Conv_1_bn');
  });

  it('a mistyped base suggests the catalogue id', async () => {
    const e = await loadBase('mobilenet_v3').catch((x: unknown) => x);
    expect(isHeadstartError(e, 'BASE_UNKNOWN')).toBe(true);
    expect((e as Error).message).toContain('did you mean "mobilenet_v2"');
  });
});
