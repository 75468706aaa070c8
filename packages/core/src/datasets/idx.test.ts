import { describe, expect, it } from 'vitest';
import { isHeadstartError } from '../errors.ts';
import { parseIdx } from './idx.ts';
import { balancedClassWeights, labelIndex, parseClassList, sortLabels } from './labels.ts';

function idx(dims: number[], data: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out.set([0, 0, 8, dims.length]);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

describe('parseIdx', () => {
  it('reads dims and data of a 3-d array', () => {
    const parsed = parseIdx(idx([2, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
    expect(parsed.dims).toEqual([2, 2, 3]);
    expect([...parsed.data]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('rejects gzipped, truncated and non-byte files with IDX_INVALID naming the source', () => {
    const cases = [
      new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0]),
      idx([2, 3], [1, 2, 3]),
      new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]),
      new Uint8Array([0, 0]),
    ];
    for (const bytes of cases) {
      let err: unknown;
      try {
        parseIdx(bytes, 'labels.idx');
      } catch (e) {
        err = e;
      }
      expect(isHeadstartError(err, 'IDX_INVALID')).toBe(true);
      expect((err as Error).message).toContain('labels.idx');
    }
  });
});

describe('label helpers', () => {
  it('sorts by code point, indexes, and parses class lists', () => {
    expect(sortLabels(['b', 'B', 'a', 'été', 'b'])).toEqual(['B', 'a', 'b', 'été']);
    expect(labelIndex(['x', 'y']).get('y')).toBe(1);
    expect(() => labelIndex(['x', 'x'])).toThrow(RangeError);
    expect(parseClassList('# names\ncat\r\n\n dog \n')).toEqual(['cat', 'dog']);
  });

  it('computes sklearn balanced class weights', () => {
    // sklearn: compute_class_weight('balanced', classes=[0,1,2], y with counts 60,30,10) = 100/(3*n_c)
    const w = balancedClassWeights([60, 30, 10, 0]);
    expect(w[0]).toBeCloseTo(100 / 180, 10);
    expect(w[1]).toBeCloseTo(100 / 90, 10);
    expect(w[2]).toBeCloseTo(100 / 30, 10);
    expect(w[3]).toBe(0);
  });
});
