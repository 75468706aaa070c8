import { describe, expect, it } from 'vitest';
import { HeadstartError } from '../errors.ts';
import { formatUnfreeze, parseUnfreeze, planFreeze, type LayerInfo } from './plan.ts';

// A MobileNetV2-like tail: weighted and weightless layers interleaved.
const LAYERS: LayerInfo[] = [
  { name: 'input_1', className: 'InputLayer', weighted: false },
  { name: 'Conv1', className: 'Conv2D', weighted: true },
  { name: 'bn_Conv1', className: 'BatchNormalization', weighted: true },
  { name: 'Conv1_relu', className: 'ReLU', weighted: false },
  { name: 'block_12_project', className: 'Conv2D', weighted: true },
  { name: 'block_12_project_BN', className: 'BatchNormalization', weighted: true },
  { name: 'block_12_add', className: 'Add', weighted: false },
  { name: 'Conv_1', className: 'Conv2D', weighted: true },
  { name: 'Conv_1_bn', className: 'BatchNormalization', weighted: true },
  { name: 'out_relu', className: 'ReLU', weighted: false },
];
const names = (s: Set<string>) => [...s].sort();

describe('parseUnfreeze', () => {
  it('parses every form and round-trips through formatUnfreeze', () => {
    expect(parseUnfreeze('top:20')).toEqual({ kind: 'top', n: 20 });
    expect(parseUnfreeze('from:block_12_add')).toEqual({ kind: 'from', layer: 'block_12_add' });
    expect(parseUnfreeze('all')).toEqual({ kind: 'all' });
    expect(parseUnfreeze(' none ')).toEqual({ kind: 'none' });
    for (const t of ['top:3', 'from:x', 'all', 'none']) expect(formatUnfreeze(parseUnfreeze(t))).toBe(t);
  });
  it('rejects anything else with SPEC_INVALID naming the value', () => {
    for (const bad of ['top:', 'top:-1', 'top:1.5', 'from:', 'everything', '']) {
      expect(() => parseUnfreeze(bad)).toThrow(HeadstartError);
      try {
        parseUnfreeze(bad);
      } catch (e) {
        expect((e as HeadstartError).code).toBe('SPEC_INVALID');
        expect((e as HeadstartError).message).toContain(`"${bad}"`);
      }
    }
  });
});

describe('planFreeze', () => {
  it('top:N counts only weighted layers; weightless layers after the boundary train too', () => {
    const p = planFreeze(LAYERS, { kind: 'top', n: 3 });
    expect(names(p.trainable)).toEqual(['Conv_1', 'Conv_1_bn', 'block_12_add', 'block_12_project_BN', 'out_relu'].sort());
    expect(p.firstTrainable).toBe('block_12_project_BN');
    expect(p.frozen.has('block_12_project')).toBe(true);
    expect(p.trainable.size + p.frozen.size).toBe(LAYERS.length);
  });
  it('top:0 and none train nothing; top:N beyond the weighted count and all train everything', () => {
    expect(planFreeze(LAYERS, { kind: 'top', n: 0 }).trainable.size).toBe(0);
    expect(planFreeze(LAYERS, { kind: 'none' }).firstTrainable).toBeNull();
    expect(planFreeze(LAYERS, { kind: 'top', n: 99 }).frozen.size).toBe(0);
    expect(planFreeze(LAYERS, { kind: 'all' }).trainable.size).toBe(LAYERS.length);
  });
  it('from:<layer> trains that layer and everything after it', () => {
    const p = planFreeze(LAYERS, { kind: 'from', layer: 'block_12_add' });
    expect(names(p.trainable)).toEqual(['Conv_1', 'Conv_1_bn', 'block_12_add', 'out_relu'].sort());
    expect(p.frozen.has('block_12_project_BN')).toBe(true);
  });
  it('every BatchNormalization layer of the base stays in inference mode, frozen or not', () => {
    for (const policy of [{ kind: 'all' } as const, { kind: 'none' } as const, { kind: 'top', n: 2 } as const]) {
      expect(names(planFreeze(LAYERS, policy).bnInference)).toEqual(['Conv_1_bn', 'bn_Conv1', 'block_12_project_BN'].sort());
    }
  });
  it('an unknown from:<layer> is LAYER_NOT_FOUND naming the layer and near names', () => {
    let err: unknown;
    try {
      planFreeze(LAYERS, { kind: 'from', layer: 'block_12_ad' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HeadstartError);
    const he = err as HeadstartError;
    expect(he.code).toBe('LAYER_NOT_FOUND');
    expect(he.message).toContain('"block_12_ad"');
    expect(he.message).toContain('"block_12_add"');
    expect(he.details?.['near']).toContain('block_12_add');
    expect(() => planFreeze(LAYERS, { kind: 'from', layer: 'zzzzzzzzzzzz' })).toThrow(/no layer named "zzzzzzzzzzzz".*last: "out_relu"/);
  });
  it('rejects duplicate layer names', () => {
    expect(() => planFreeze([LAYERS[1]!, LAYERS[1]!], { kind: 'all' })).toThrow(RangeError);
  });
});
