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

export const PreprocessSpecSchema = z
  .object({
    /** Target size in pixels [height, width]. */
    size: z.tuple([z.number().int().positive(), z.number().int().positive()]),
    resize: ResizeModeSchema.default('cover'),
    mode: PreprocessModeSchema,
    /** Channel order of the tensor fed to the network after normalisation (mode `caffe` is always `bgr`). */
    channelOrder: z.enum(['rgb', 'bgr']).default('rgb'),
    /** Per-channel mean in the tensor's channel order and in the scale of the mode (see above). */
    mean: z.tuple([z.number(), z.number(), z.number()]).optional(),
    std: z.tuple([z.number(), z.number(), z.number()]).optional(),
    /** Source images with one channel (e.g. Fashion-MNIST) are replicated to RGB. */
    grayscale: z.boolean().default(false),
  })
  .strict();
export type PreprocessSpec = z.infer<typeof PreprocessSpecSchema>;

export const IMAGENET_MEAN_RGB: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD_RGB: readonly [number, number, number] = [0.229, 0.224, 0.225];
export const CAFFE_MEAN_BGR: readonly [number, number, number] = [103.939, 116.779, 123.68];
