/**
 * The taps of a k×k window over an image tensor of the step graph, in either physical layout:
 * NHWC ([N, H, W, C], TF.js's) or NCHW (onnxruntime's Conv, ConvTranspose and MaxPool).
 */
import type { Tape } from './tape.ts';

/** Physical layout of an image tensor. */
export type Layout = 'nhwc' | 'nchw';

/** Where a k×k window reads its input: size, kernel, strides, TF padding [top, left, bottom, right], output size. */
export interface TapGeometry {
  h: number;
  w: number;
  ch: number;
  k: [number, number];
  s: [number, number];
  pads: number[];
  oh: number;
  ow: number;
  layout: Layout;
}

/** The spatial axes of a layout. */
function spatial(layout: Layout): [number, number] {
  return layout === 'nhwc' ? [1, 2] : [2, 3];
}

/** ONNX Pad amounts for a rank-4 tensor: `before` and `after` on the spatial axes, 0 elsewhere. */
function padAmounts(layout: Layout, before: [number, number], after: [number, number]): number[] {
  const p = new Array<number>(8).fill(0);
  const [a, b] = spatial(layout);
  [p[a], p[b], p[4 + a], p[4 + b]] = [before[0], before[1], after[0], after[1]];
  return p;
}

/** The kernel taps (row, column) in row-major order. */
function tapOffsets(g: TapGeometry): [number, number][] {
  const taps: [number, number][] = [];
  for (let i = 0; i < g.k[0]; i++) for (let j = 0; j < g.k[1]; j++) taps.push([i, j]);
  return taps;
}

const padded = (g: TapGeometry): boolean => g.pads.some((p) => p > 0);

/** For each tap, the slice of the (zero-padded) input it reads: [N, oh, ow, C] or [N, C, oh, ow]. */
export function tapSlices(t: Tape, x: string, g: TapGeometry): string[] {
  const [pt, pl, pb, pr] = g.pads as [number, number, number, number];
  const xp = padded(g) ? t.op('Pad', [x, t.i64(padAmounts(g.layout, [pt, pl], [pb, pr]))]) : x;
  return tapOffsets(g).map(([i, j]) =>
    t.op('Slice', [xp, t.i64([i, j]), t.i64([i + (g.oh - 1) * g.s[0] + 1, j + (g.ow - 1) * g.s[1] + 1]), t.i64(spatial(g.layout)), t.i64(g.s)]),
  );
}

/**
 * The adjoint of {@link tapSlices}: each tap's gradient (the shape of its slice) spread on the
 * stride grid, placed at the tap's offset in the padded input and summed; then the padding cut off.
 */
export function scatterTaps(t: Tape, parts: string[], g: TapGeometry): string {
  const [pt, pl, pb, pr] = g.pads as [number, number, number, number];
  const [hp, wp] = [g.h + pt + pb, g.w + pl + pr];
  const [dh, dw] = [(g.oh - 1) * g.s[0] + 1, (g.ow - 1) * g.s[1] + 1];
  const placed = tapOffsets(g).map(([i, j], n) =>
    t.op('Pad', [dilate(t, parts[n] as string, g), t.i64(padAmounts(g.layout, [i, j], [hp - dh - i, wp - dw - j]))]),
  );
  const dxp = placed.length === 1 ? (placed[0] as string) : t.op('Sum', placed);
  return padded(g) ? t.op('Slice', [dxp, t.i64([pt, pl]), t.i64([pt + g.h, pl + g.w]), t.i64(spatial(g.layout))]) : dxp;
}

/** Spreads an [.., oh, ow, ..] tap gradient onto the stride grid ((oh−1)·s+1 × (ow−1)·s+1, zeros between). */
function dilate(t: Tape, x: string, g: TapGeometry): string {
  const { oh, ow, ch, s } = g;
  if (s[0] === 1 && s[1] === 1) return x;
  const nhwc = g.layout === 'nhwc';
  const r = t.op('Reshape', [x, t.i64(nhwc ? [-1, oh, 1, ow, 1, ch] : [-1, ch, oh, 1, ow, 1])]);
  const grid = nhwc ? [0, 0, 0, 0, 0, 0, 0, 0, s[0] - 1, 0, s[1] - 1, 0] : [0, 0, 0, 0, 0, 0, 0, 0, 0, s[0] - 1, 0, s[1] - 1];
  const flat = t.op('Reshape', [t.op('Pad', [r, t.i64(grid)]), t.i64(nhwc ? [-1, oh * s[0], ow * s[1], ch] : [-1, ch, oh * s[0], ow * s[1]])]);
  return t.op('Slice', [flat, t.i64([0, 0]), t.i64([(oh - 1) * s[0] + 1, (ow - 1) * s[1] + 1]), t.i64(spatial(g.layout))]);
}

/**
 * The kernel gradient of a k×k convolution on an NCHW input x [N, C, H, W] from its output
 * gradient dy [N, cout, oh, ow]: Σ_n X_n·dy_nᵀ, where X_n [kh·kw·C, oh·ow] holds image n's
 * columns (the taps' slices stacked, rows in a Keras kernel's [kh, kw, C] order) — one batched
 * matrix product, summed over the batch; returned as [kh·kw·C, cout].
 */
export function kernelGradNchw(t: Tape, x: string, dy: string, g: TapGeometry & { cout: number }): string {
  const positions = g.oh * g.ow;
  const cols = t.op('Reshape', [t.op('Concat', tapSlices(t, x, g), { axis: 1 }), t.i64([-1, g.k[0] * g.k[1] * g.ch, positions])]);
  const dyT = t.op('Transpose', [t.op('Reshape', [dy, t.i64([-1, g.cout, positions])])], { perm: [0, 2, 1] });
  return t.op('ReduceSum', [t.op('MatMul', [cols, dyT]), t.i64([0])], { keepdims: 0 });
}
