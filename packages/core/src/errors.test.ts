import { describe, expect, it } from 'vitest';
import { HeadstartError, isHeadstartError } from './errors.ts';

describe('HeadstartError', () => {
  it('carries code, message, cause and details', () => {
    const cause = new Error('root');
    const e = new HeadstartError('LAYER_NOT_FOUND', 'no layer "x"', { cause, details: { layer: 'x' } });
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('LAYER_NOT_FOUND');
    expect(e.cause).toBe(cause);
    expect(e.details).toEqual({ layer: 'x' });
    expect(isHeadstartError(e, 'LAYER_NOT_FOUND')).toBe(true);
    expect(isHeadstartError(e, 'IO')).toBe(false);
    expect(isHeadstartError(new Error('x'))).toBe(false);
  });
});
