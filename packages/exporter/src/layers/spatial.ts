import { convAxis, one, pair, spatial, type Emitter, unsupported } from './context.ts';

const pool = (opType: 'MaxPool' | 'AveragePool'): Emitter => (ctx) => {
  const x = one(ctx);
  const [h, w] = spatial(ctx, x);
  const k = pair(ctx.node.config['pool_size'], 2);
  const s = pair(ctx.node.config['strides'] ?? ctx.node.config['pool_size'], 2);
  const padding = String(ctx.node.config['padding'] ?? 'valid');
  if (padding !== 'same' && padding !== 'valid') throw unsupported(ctx, `padding '${padding}'`);
  if (ctx.node.config['data_format'] === 'channels_first') throw unsupported(ctx, 'data_format channels_first');
  const ah = convAxis(h, k[0], s[0], 1, padding);
  const aw = convAxis(w, k[1], s[1], 1, padding);
  const attrs: Record<string, number[] | number> = { kernel_shape: k, strides: s, pads: [ah.before, aw.before, ah.after, aw.after] };
  // Keras 'same' average pooling divides by the number of real (unpadded) pixels.
  if (opType === 'AveragePool') attrs['count_include_pad'] = 0;
  const y = ctx.b.op(opType, [x.name], attrs, ctx.node.id);
  return [{ name: y, shape: [x.shape[0] ?? null, ah.out, aw.out, x.shape[3] ?? null] }];
};

const globalPool = (opType: 'GlobalAveragePool' | 'GlobalMaxPool'): Emitter => (ctx) => {
  const x = one(ctx);
  if (x.shape.length !== 4) throw unsupported(ctx, `input of rank ${x.shape.length}`);
  const y = ctx.b.op(opType, [x.name], {}, ctx.node.id);
  if (ctx.node.config['keepdims'] === true) return [{ name: y, shape: [x.shape[0] ?? null, 1, 1, x.shape[3] ?? null] }];
  return [{ name: ctx.b.op('Flatten', [y], { axis: 1 }, ctx.node.id), shape: [x.shape[0] ?? null, x.shape[3] ?? null] }];
};

/** [[top, bottom], [left, right]] from Keras' int | [a, b] | [[t, b], [l, r]] forms. */
function edges(v: unknown): [number, number, number, number] {
  if (typeof v === 'number') return [v, v, v, v];
  if (Array.isArray(v) && Array.isArray(v[0])) {
    const [[t, bm], [l, r]] = v as [[number, number], [number, number]];
    return [t, bm, l, r];
  }
  const [a, b] = pair(v, 0);
  return [a, a, b, b];
}

const zeroPadding: Emitter = (ctx) => {
  const x = one(ctx);
  const [h, w] = spatial(ctx, x);
  const [t, bm, l, r] = edges(ctx.node.config['padding'] ?? 1);
  const pads = ctx.b.constI64([0, 0, t, l, 0, 0, bm, r], `${ctx.node.id}/pads`);
  const y = ctx.b.op('Pad', [x.name, pads], { mode: 'constant' }, ctx.node.id);
  return [{ name: y, shape: [x.shape[0] ?? null, h + t + bm, w + l + r, x.shape[3] ?? null] }];
};

const cropping: Emitter = (ctx) => {
  const x = one(ctx);
  const [h, w] = spatial(ctx, x);
  const [t, bm, l, r] = edges(ctx.node.config['cropping'] ?? 0);
  const y = ctx.b.op(
    'Slice',
    [x.name, ctx.b.constI64([t, l], `${ctx.node.id}/starts`), ctx.b.constI64([h - bm, w - r], `${ctx.node.id}/ends`), ctx.b.constI64([2, 3], `${ctx.node.id}/axes`)],
    {},
    ctx.node.id,
  );
  return [{ name: y, shape: [x.shape[0] ?? null, h - t - bm, w - l - r, x.shape[3] ?? null] }];
};

const upSampling: Emitter = (ctx) => {
  const x = one(ctx);
  const [h, w] = spatial(ctx, x);
  const [sy, sx] = pair(ctx.node.config['size'], 2);
  const interp = String(ctx.node.config['interpolation'] ?? 'nearest');
  if (interp !== 'nearest') throw unsupported(ctx, `interpolation '${interp}'`);
  const scales = ctx.b.constF32([1, 1, sy, sx], [4], `${ctx.node.id}/scales`);
  const y = ctx.b.op('Resize', [x.name, '', scales], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, ctx.node.id);
  return [{ name: y, shape: [x.shape[0] ?? null, h * sy, w * sx, x.shape[3] ?? null] }];
};

/** Emitters for pooling, padding, cropping and upsampling layers. */
export const spatialEmitters: Record<string, Emitter> = {
  MaxPooling2D: pool('MaxPool'),
  AveragePooling2D: pool('AveragePool'),
  GlobalAveragePooling2D: globalPool('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPool('GlobalMaxPool'),
  ZeroPadding2D: zeroPadding,
  Cropping2D: cropping,
  UpSampling2D: upSampling,
};
