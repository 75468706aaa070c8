import { Router } from 'express';
import { z } from 'zod';
import { HeadstartError } from '@headstart/core';
import { answerOf, resolveTopK, topPredictions } from '@headstart/inference/node';
import type { AppContext } from '../context.ts';
import { readImages } from '../image-body.ts';
import { predictImages } from '../predict.ts';
import { versionParam, type ModelVersion } from '../registry.ts';
import { readModelReport } from './report.ts';

const TopKQuery = z.object({ topk: z.coerce.number().int().min(1).max(10_000).optional() }).loose();

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The shareable part of a run manifest (headstart.json): no local paths (dataset path, base source). */
export function manifestSummary(m: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (m === undefined) return undefined;
  const base = isRecord(m.base) ? { id: m.base.id, cut: m.base.cut, inputSize: m.base.inputSize } : undefined;
  const counts = isRecord(m.dataset) && isRecord(m.dataset.counts) ? m.dataset.counts : undefined;
  return { name: m.name, createdAt: m.createdAt, base, head: m.head, metrics: m.metrics, datasetCounts: counts, backend: m.backend };
}

/** Public description of a loaded model version (labels, input spec, provider). */
export function describeModel(ctx: AppContext, m: ModelVersion): Record<string, unknown> {
  const c = m.classifier;
  return {
    name: m.name,
    version: m.version,
    versions: ctx.registry.versions(m.name),
    labels: c.labels,
    /** Top-1 probability below which predict answers "unknown" (null: never). */
    unknownBelow: c.unknownBelow ?? null,
    input: { name: c.inputName, datatype: 'FP32', shape: [-1, c.inputSize[0], c.inputSize[1], 3], layout: 'NHWC', range: [0, 255], preprocess: c.preprocess },
    output: { name: c.outputName, datatype: 'FP32', shape: [-1, c.labels.length] },
    provider: c.provider,
    loadedAt: m.loadedAt,
    download: `/v1/models/${m.name}/versions/${m.version}/model.onnx`,
    manifest: manifestSummary(m.manifest),
  };
}

/** v1 routes: registry listing, model info, model download, prediction from encoded images. */
export function v1Router(ctx: AppContext): Router {
  const r = Router();

  r.get('/models', (_req, res) => {
    const models = ctx.registry.names().map((name) => {
      const versions = ctx.registry.versions(name);
      const latest = ctx.registry.get(name);
      return { name, versions, latest: latest.version, labels: latest.classifier.labels.length, provider: latest.classifier.provider };
    });
    res.json({ models, failures: ctx.registry.loadFailures() });
  });

  r.get('/models/:name', (req, res) => {
    res.json(describeModel(ctx, ctx.registry.get(req.params.name)));
  });

  r.get('/models/:name/versions/:v', (req, res) => {
    res.json(describeModel(ctx, ctx.registry.get(req.params.name, versionParam(req.params.v))));
  });

  r.get('/models/:name/versions/:v/model.onnx', (req, res, next) => {
    const m = ctx.registry.get(req.params.name, versionParam(req.params.v));
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.type('application/octet-stream');
    res.sendFile(m.modelPath, { dotfiles: 'deny', headers: { 'Content-Disposition': `attachment; filename="${m.name}-v${m.version}.onnx"` } }, (err) => {
      if (err !== undefined) next(new HeadstartError('IO', `could not send model ${m.name} v${m.version}`, { cause: err }));
    });
  });

  r.get('/models/:name/versions/:v/report.json', async (req, res) => {
    const m = ctx.registry.get(req.params.name, versionParam(req.params.v));
    res.json(await readModelReport(m.modelPath, `model ${m.name} v${m.version}`));
  });

  const predict = async (name: string, v: string | undefined, req: Parameters<Parameters<typeof r.post>[1]>[0], res: Parameters<Parameters<typeof r.post>[1]>[1]): Promise<void> => {
    const started = performance.now();
    const deadlineAt = started + ctx.limits.deadlineMs;
    const query = TopKQuery.safeParse(req.query);
    if (!query.success) throw new HeadstartError('USAGE', `topk must be a positive integer, got "${String(req.query.topk).slice(0, 20)}"`);
    const version = versionParam(v);
    ctx.registry.get(name, version); // 404 before reading the body
    const images = await readImages(req, { bodyLimitBytes: ctx.limits.bodyLimitBytes, maxImages: ctx.limits.maxBatch });
    await ctx.registry.use(name, version, async (m) => {
      const out = await predictImages(ctx, m, images, deadlineAt);
      const labels = m.classifier.labels;
      const k = resolveTopK(query.data.topk, labels.length);
      const results = Array.from({ length: out.count }, (_, i) => {
        const predictions = topPredictions(out.probabilities, labels, k, i);
        // "unknown" below the model's threshold is decided on the top-1, whatever topk was asked.
        return { ...answerOf(topPredictions(out.probabilities, labels, 1, i), m.classifier.unknownBelow), predictions };
      });
      const timings = { ...out.timings, totalMs: performance.now() - started };
      const batch = (req.headers['content-type'] ?? '').startsWith('multipart/') && images.length > 1;
      if (batch) res.json({ model: m.name, version: m.version, results, timings });
      else res.json({ model: m.name, version: m.version, ...results[0], timings });
    });
  };

  r.post('/models/:name/predict', (req, res) => predict(req.params.name, undefined, req, res));
  r.post('/models/:name/versions/:v/predict', (req, res) => predict(req.params.name, req.params.v, req, res));
  return r;
}
