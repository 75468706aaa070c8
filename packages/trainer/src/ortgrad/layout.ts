/**
 * Layout changes of image tensors in the step graph. Rules that work in NCHW (k×k convolutions,
 * max pooling, pointwise activations) keep it between them; every other rule reads NHWC, and
 * the transposes (with their gradients) are emitted once per tensor.
 */
import type { GTensor, Tape } from './tape.ts';

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];

function convert(t: Tape, x: GTensor, to: 'nhwc' | 'nchw'): GTensor {
  return t.memo(`${to}:${x.name}`, () => {
    const [perm, back] = to === 'nchw' ? [NHWC_TO_NCHW, NCHW_TO_NHWC] : [NCHW_TO_NHWC, NHWC_TO_NCHW];
    const y: GTensor = { name: t.op('Transpose', [x.name], { perm }, `to_${to}`), shape: x.shape, ...(to === 'nchw' ? { layout: 'nchw' as const } : {}) };
    return t.record([x], y, (dy) => [t.op('Transpose', [dy], { perm: back }, `from_${to}`)]);
  });
}

/** `x` as NHWC (unchanged unless it is NCHW). */
export function toNhwc(t: Tape, x: GTensor): GTensor {
  return x.layout === 'nchw' ? convert(t, x, 'nhwc') : x;
}

/** `x` (an image tensor) as NCHW. */
export function toNchw(t: Tape, x: GTensor): GTensor {
  return x.layout === 'nchw' ? x : convert(t, x, 'nchw');
}

/** A tensor computed pointwise from `x`: same shape and layout. */
export function like(x: GTensor, name: string): GTensor {
  return x.layout ? { name, shape: x.shape, layout: x.layout } : { name, shape: x.shape };
}
