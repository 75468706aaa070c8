import { z } from 'zod';

/**
 * How a base model wants its pixels. Written by the trainer, embedded in the ONNX file by
 * the exporter, read by every consumer. Input to every pipeline: RGB uint8 pixels.
 * - `tf`:    x / 127.5 - 1                      (range [-1, 1])
 * - `torch`: (x / 255 - mean) / std, RGB order  (mean/std default ImageNet)
 * - `caffe`: BGR order, x - mean (mean in BGR, default ImageNet [103.939, 116.779, 123.68])
 * - `none`:  x as float32 (0..255)
 */
export const PreprocessModeSchema = z.enum(['tf', 'torch', 'caffe', 'none']);
export type PreprocessMode = z.infer<typeof PreprocessModeSchema>;

export const ResizeModeSchema = z.enum(['cover', 'contain', 'stretch']);
/** `cover`: scale to fill then centre-crop; `contain`: fit inside then pad (black); `stretch`: ignore aspect. */
export type ResizeMode = z.infer<typeof ResizeModeSchema>;

/** The tensor channel order a mode implies: `caffe` is always `bgr` (as in Keras); other modes default to `rgb`. */
export function channelOrderFor(mode: PreprocessMode, requested?: 'rgb' | 'bgr'): 'rgb' | 'bgr' {
  return mode === 'caffe' ? 'bgr' : (requested ?? 'rgb');
}

/**
 * The PreprocessSpec schema. Rule: mode `caffe` means a BGR tensor, so its `channelOrder` is
 * always `bgr` (files written before this rule with `caffe` + `rgb` read as the BGR they always were).
 */
export const PreprocessSpecSchema = z
  .object({
    /** Target size in pixels [height, width]. */
    size: z.tuple([z.number().int().positive(), z.number().int().positive()]),
    resize: ResizeModeSchema.default('cover'),
    mode: PreprocessModeSchema,
    /** Channel order of the tensor fed to the network after normalisation (default `rgb`; mode `caffe` is always `bgr`). */
    channelOrder: z.enum(['rgb', 'bgr']).optional(),
    /** Per-channel mean in the tensor's channel order and in the scale of the mode (see above). */
    mean: z.tuple([z.number(), z.number(), z.number()]).optional(),
    std: z.tuple([z.number(), z.number(), z.number()]).optional(),
    /** Source images with one channel (e.g. Fashion-MNIST) are replicated to RGB. */
    grayscale: z.boolean().default(false),
  })
  .strict()
  .transform((s) => ({ ...s, channelOrder: channelOrderFor(s.mode, s.channelOrder) }));
export type PreprocessSpec = z.infer<typeof PreprocessSpecSchema>;

export const IMAGENET_MEAN_RGB: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD_RGB: readonly [number, number, number] = [0.229, 0.224, 0.225];
export const CAFFE_MEAN_BGR: readonly [number, number, number] = [103.939, 116.779, 123.68];

/** Options of {@link preprocessSpecFor} beyond mode and size. */
export interface PreprocessSpecOptions {
  resize?: ResizeMode;
  grayscale?: boolean;
  mean?: [number, number, number];
  std?: [number, number, number];
}

/**
 * The one builder of a PreprocessSpec: a parsed spec for a mode and [height, width] size with the
 * channel order the mode implies written out (`caffe` → `bgr`, others `rgb`), so manifests and
 * ONNX metadata say what the tensor really is.
 * @example const spec = preprocessSpecFor('tf', [224, 224]);
 */
export function preprocessSpecFor(mode: PreprocessMode, size: readonly [number, number], opts: PreprocessSpecOptions | ResizeMode = {}): PreprocessSpec {
  const o = typeof opts === 'string' ? { resize: opts } : opts;
  return PreprocessSpecSchema.parse({ size: [size[0], size[1]], mode, resize: o.resize ?? 'cover', channelOrder: channelOrderFor(mode), ...(o.grayscale ? { grayscale: true } : {}), ...(o.mean ? { mean: o.mean } : {}), ...(o.std ? { std: o.std } : {}) });
}
