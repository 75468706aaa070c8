import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { HeadstartError } from '@headstart/core';
import { answerOf, topPredictions } from '@headstart/inference/node';
import type { AppContext } from '../context.ts';
import { predictPixels } from '../predict.ts';
import { readBody } from '../image-body.ts';
import { versionParam, type ModelVersion } from '../registry.ts';

/** The virtual output holding each image's answer: its top label, or "unknown" below the model's threshold. */
export const LABEL_OUTPUT = 'label';

/** Server name and version reported by GET /v2. */
export const SERVER_INFO = { name: 'headstart', version: '0.1.0', extensions: ['classification'] } as const;

const InferRequest = z.object({
  id: z.string().max(256).optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  inputs: z
    .array(
      z.object({
        name: z.string().max(256),
        shape: z.array(z.number().int().min(0)).max(8),
        datatype: z.string().max(16),
        parameters: z.record(z.string(), z.unknown()).optional(),
        data: z.array(z.never()), // emptied by the parser: the values arrive flattened
      }),
    )
    .min(1)
    .max(1),
  outputs: z
    .array(z.object({ name: z.string().max(256), parameters: z.record(z.string(), z.unknown()).optional() }))
    .max(4)
    .optional(),
});
type TensorInput = z.infer<typeof InferRequest>['inputs'][number];

/** Values per image of a model's input tensor. */
function valuesPerImage(m: ModelVersion): number {
  const [h, w] = m.classifier.inputSize;
  return h * w * 3;
}

/** Largest JSON body a model's infer route reads: the configured limit, or one derived from its input shape (maxBatch × h×w×3 values of ≤ 24 characters each, plus 64 KiB for the envelope). */
export function jsonLimitFor(ctx: AppContext, m: ModelVersion): number {
  return ctx.limits.jsonLimitBytes ?? ctx.limits.maxBatch * valuesPerImage(m) * 24 + 64 * 1024;
}

function metadata(ctx: AppContext, m: ModelVersion): Record<string, unknown> {
  const c = m.classifier;
  return {
    name: m.name,
    versions: ctx.registry.versions(m.name).map(String),
    platform: 'onnxruntime_onnx',
    inputs: [{ name: c.inputName, datatype: 'FP32', shape: [-1, c.inputSize[0], c.inputSize[1], 3] }],
    outputs: [
      { name: c.outputName, datatype: 'FP32', shape: [-1, c.labels.length] },
      { name: LABEL_OUTPUT, datatype: 'BYTES', shape: [-1] },
    ],
    ...(c.unknownBelow === undefined ? {} : { parameters: { unknown_below: c.unknownBelow } }),
  };
}

/** Converts a protocol input tensor (FP32 or UINT8, NHWC at the model's size) into uint8 pixels. */
function toPixels(m: ModelVersion, input: TensorInput, flat: Float64Array): { rgb: Uint8Array; count: number } {
  const [h, w] = m.classifier.inputSize;
  const { shape, datatype, name } = input;
  if (name !== m.classifier.inputName) throw new HeadstartError('USAGE', `unexpected input "${name.slice(0, 40)}"; the model's input is "${m.classifier.inputName}"`);
  if (shape.length !== 4 || shape[1] !== h || shape[2] !== w || shape[3] !== 3 || (shape[0] ?? 0) < 1) {
    throw new HeadstartError('USAGE', `input shape [${shape.join(',')}] does not match [N,${h},${w},3] (NHWC RGB)`);
  }
  if (datatype !== 'FP32' && datatype !== 'UINT8') throw new HeadstartError('USAGE', `datatype ${datatype.slice(0, 16)} is not supported; use FP32 or UINT8`);
  const count = shape[0] as number;
  const expected = count * h * w * 3;
  if (flat.length !== expected) throw new HeadstartError('USAGE', `input has ${flat.length} values; shape [${shape.join(',')}] needs ${expected}`);
  const rgb = new Uint8Array(expected);
  for (let i = 0; i < expected; i++) {
    const v = flat[i] as number;
    if (!(v >= 0 && v <= 255) || (datatype === 'UINT8' && !Number.isInteger(v))) {
      throw new HeadstartError('USAGE', `input value ${v} at index ${i} is outside ${datatype === 'UINT8' ? 'integers 0..255' : '0..255'} (RGB pixels)`);
    }
    rgb[i] = Math.round(v);
  }
  return { rgb, count };
}

/** Open Inference Protocol v2 (KServe / Triton REST): health, server and model metadata, readiness, infer. */
export function v2Router(ctx: AppContext): Router {
  const r = Router();

  r.get('/', (_req, res) => {
    res.json(SERVER_INFO);
  });
  const ready = (req: Request<{ name: string; v?: string }>, res: Response): void => {
    try {
      ctx.registry.get(req.params.name, versionParam(req.params.v));
      res.status(ctx.draining.value ? 400 : 200).end();
    } catch {
      res.status(404).end(); // not loaded → not ready
    }
  };
  r.get('/models/:name/ready', ready);
  r.get('/models/:name/versions/:v/ready', ready);

  r.get('/models/:name', (req, res) => {
    res.json(metadata(ctx, ctx.registry.get(req.params.name)));
  });
  r.get('/models/:name/versions/:v', (req, res) => {
    res.json(metadata(ctx, ctx.registry.get(req.params.name, versionParam(req.params.v))));
  });

  const infer = async (req: Request<{ name: string; v?: string }>, res: Response): Promise<void> => {
    const started = performance.now();
    const v = versionParam(req.params.v);
    const target = ctx.registry.get(req.params.name, v);
    if (!req.is('application/json') && !req.is('application/*+json')) throw new HeadstartError('USAGE', 'infer requests must be JSON (Content-Type: application/json)');
    const raw = await readBody(req as unknown as Request, jsonLimitFor(ctx, target));
    const parsed = await ctx.jsonParser.parse(raw, ctx.limits.maxBatch * valuesPerImage(target));
    const body = InferRequest.safeParse(parsed.request);
    if (!body.success) throw new HeadstartError('USAGE', `invalid inference request: ${body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 300)}`);
    await ctx.registry.use(req.params.name, v, async (m) => {
      const input = body.data.inputs[0] as TensorInput;
      const { rgb, count } = toPixels(m, input, parsed.values);
      if (count > ctx.limits.maxBatch) throw new HeadstartError('USAGE', `batch of ${count} is over the server's max batch size ${ctx.limits.maxBatch}`);
      const out = await predictPixels(ctx, m, rgb, count, started + ctx.limits.deadlineMs);
      const labels = m.classifier.labels;
      const unknownBelow = m.classifier.unknownBelow;
      // The answers ("unknown" below the model's threshold) ride along by default when the model has a threshold.
      const requested = body.data.outputs ?? [{ name: m.classifier.outputName }, ...(unknownBelow === undefined ? [] : [{ name: LABEL_OUTPUT }])];
      const outputs = requested.map((o) => {
        if (o.name === LABEL_OUTPUT) {
          const data = Array.from({ length: count }, (_, i) => answerOf(topPredictions(out.probabilities, labels, 1, i), unknownBelow).label);
          return { name: LABEL_OUTPUT, shape: [count], datatype: 'BYTES', data, ...(unknownBelow === undefined ? {} : { parameters: { unknown_below: unknownBelow } }) };
        }
        if (o.name !== m.classifier.outputName) throw new HeadstartError('USAGE', `unknown output "${o.name.slice(0, 40)}"; the model's outputs are "${m.classifier.outputName}" and "${LABEL_OUTPUT}"`);
        const k = Number(o.parameters?.classification ?? 0);
        if (Number.isInteger(k) && k > 0) {
          const kk = Math.min(k, labels.length);
          const data = Array.from({ length: count }, (_, i) =>
            topPredictions(out.probabilities, labels, kk, i).map((p) => `${p.probability}:${labels.indexOf(p.label)}:${p.label}`),
          ).flat();
          return { name: o.name, shape: [count, kk], datatype: 'BYTES', data };
        }
        return { name: o.name, shape: [count, labels.length], datatype: 'FP32', data: Array.from(out.probabilities) };
      });
      res.json({ model_name: m.name, model_version: String(m.version), ...(body.data.id === undefined ? {} : { id: body.data.id }), outputs });
    });
  };
  r.post('/models/:name/infer', infer);
  r.post('/models/:name/versions/:v/infer', infer);
  return r;
}
