import { describe, expect, it } from 'vitest';
import { compareSurfaces, type SurfaceAnswer } from '../src/agreement.ts';

const a = (top1: string, p: Record<string, number>): SurfaceAnswer => ({ top1, probabilities: p });

describe('compareSurfaces', () => {
  const ref = { 'x.png': a('cat', { cat: 0.7, dog: 0.3 }), 'y.png': a('dog', { cat: 0.1, dog: 0.9 }) };

  it('accepts surfaces that agree within the tolerance', () => {
    const api = { 'x.png': a('cat', { cat: 0.70005, dog: 0.29995 }), 'y.png': a('dog', { cat: 0.1, dog: 0.9 }) };
    expect(compareSurfaces({ tfjs: ref, api, cli: ref }, 'tfjs')).toEqual([]);
  });

  it('flags one surface whose top-1 differs', () => {
    const web = { 'x.png': a('dog', { cat: 0.7, dog: 0.3 }), 'y.png': ref['y.png'] };
    const d = compareSurfaces({ tfjs: ref, api: ref, web }, 'tfjs');
    expect(d).toEqual([{ image: 'x.png', surface: 'web', reason: 'top-1 dog ≠ cat' }]);
  });

  it('flags a probability outside the tolerance, a missing image, a NaN and a foreign label', () => {
    const cli = { 'x.png': a('cat', { cat: 0.7002, dog: 0.2998 }) };
    const api = { 'x.png': a('cat', { cat: Number.NaN, dog: 0.3, bird: 0 }), 'y.png': ref['y.png'] };
    const d = compareSurfaces({ tfjs: ref, cli, api }, 'tfjs');
    expect(d.map((x) => `${x.surface}:${x.image}:${x.reason.split(' ')[0]}`).sort()).toEqual(
      ['api:x.png:p(cat)', 'api:x.png:unexpected', 'cli:x.png:p(cat)', 'cli:x.png:p(dog)', 'cli:y.png:no'].sort(),
    );
  });

  it('flags a surface whose answer ("unknown" or the label) differs from the reference, when the reference has one', () => {
    const withAnswer = { 'x.png': { ...ref['x.png'], answer: 'unknown' }, 'y.png': { ...ref['y.png'], answer: 'dog' } };
    const api = { 'x.png': { ...ref['x.png'], answer: 'cat' }, 'y.png': { ...ref['y.png'], answer: 'dog' } };
    expect(compareSurfaces({ tfjs: withAnswer, api }, 'tfjs')).toEqual([{ image: 'x.png', surface: 'api', reason: 'answer cat ≠ unknown' }]);
    expect(compareSurfaces({ tfjs: ref, api }, 'tfjs')).toEqual([]);
  });

  it('refuses an unknown reference', () => {
    expect(() => compareSurfaces({ api: ref }, 'tfjs')).toThrow(RangeError);
  });
});
