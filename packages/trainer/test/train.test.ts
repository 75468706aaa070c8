import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isHeadstartError, type EvalReport, type TrainerEvent } from '@headstart/core';
import { evaluateRun, explainRun, loadBase, loadLayersModelFile, readManifest, selectBackend, train, type TrainOptions } from '../src/index.ts';
import type { LayersModel } from '../src/tf.ts';
import { makeImageDataset, makeTinyBase, tempDir, tinyTrainOptions } from './fixtures.ts';

function weightsOf(model: LayersModel, layer: string): Float32Array[] {
  return model.getLayer(layer).getWeights().map((w) => new Float32Array(w.dataSync()));
}

function allWeights(model: LayersModel): Float32Array[] {
  return model.weights.map((w) => new Float32Array(w.read().dataSync()));
}

const same = (a: Float32Array[], b: Float32Array[]): boolean => a.length === b.length && a.every((x, i) => x.length === b[i]?.length && x.every((v, j) => v === b[i]?.[j]));

describe('train (tiny base, generated images)', () => {
  let data: string;
  let basePath: string;
  let original: LayersModel;
  const opts = (out: string, extra: Partial<TrainOptions> = {}): TrainOptions => tinyTrainOptions({ data, base: basePath, epochs: [3, 2], seed: 7 }, out, extra);

  beforeAll(async () => {
    await selectBackend('cpu');
    const root = await tempDir();
    data = await makeImageDataset(join(root, 'data'), { classes: 3, perClass: 10, size: 20 });
    basePath = await makeTinyBase(join(root, 'base'));
    original = await loadLayersModelFile(basePath);
  });

  it('phase 1 leaves the base bit-identical; phase 2 changes the top N, never BN moving stats', async () => {
    const root = await tempDir();
    const p1 = await train(opts(join(root, 'p1'), { schedule: { phase1: { epochs: 3, batchSize: 8 }, phase2: { epochs: 0 }, seed: 7 } }));
    expect(p1.manifest.status).toBe('complete');
    const m1 = await loadLayersModelFile(join(p1.runDir, 'model', 'model.json'));
    for (const l of ['c1', 'bn1', 'c2', 'bn2']) expect(same(weightsOf(m1, l), weightsOf(original, l))).toBe(true);
    const events: TrainerEvent[] = [];
    const p2 = await train(opts(join(root, 'p2')), (e) => events.push(e));
    const m2 = await loadLayersModelFile(join(p2.runDir, 'model', 'model.json'));
    expect(same(weightsOf(m2, 'c1'), weightsOf(original, 'c1'))).toBe(true);
    expect(same(weightsOf(m2, 'bn1'), weightsOf(original, 'bn1'))).toBe(true);
    const bn2 = weightsOf(m2, 'bn2');
    const bn2o = weightsOf(original, 'bn2');
    // gamma/beta train, moving mean/variance stay (BatchNorm in inference mode).
    expect(same([bn2[0] as Float32Array], [bn2o[0] as Float32Array])).toBe(false);
    expect(same(bn2.slice(2), bn2o.slice(2))).toBe(true);
    expect(same(weightsOf(m2, 'c2'), weightsOf(original, 'c2'))).toBe(false);
    const starts = events.filter((e) => e.type === 'phase-start');
    expect(starts.map((e) => e.type === 'phase-start' && [e.phase, e.trainableLayers])).toEqual([
      ['phase1', 1],
      ['phase2', 3],
    ]);
    // One pass over the images caches both phase 1's features and phase 2's boundary.
    expect(events.filter((e) => e.type === 'cache' && e.stage === 'end').map((e) => e.type === 'cache' && e.phase)).toEqual(['phase1']);
    const batch = events.find((e) => e.type === 'batch');
    expect(batch && batch.type === 'batch' && batch.imagesPerSec > 0 && Number.isFinite(batch.etaSec)).toBe(true);
    const done = events.at(-1);
    expect(done?.type).toBe('done');
  });

  it('is reproducible under a seed, and the cached path matches the uncached one', async () => {
    const root = await tempDir();
    // TF.js computes the cache here: this checks the caching mechanism itself against the uncached path.
    const a = await train(opts(join(root, 'a'), { featureEngine: 'tfjs' }));
    const b = await train(opts(join(root, 'b'), { featureEngine: 'tfjs' }));
    const u = await train(opts(join(root, 'u'), { cache: false }));
    const ma = await loadLayersModelFile(join(a.runDir, 'model', 'model.json'));
    const mb = await loadLayersModelFile(join(b.runDir, 'model', 'model.json'));
    const mu = await loadLayersModelFile(join(u.runDir, 'model', 'model.json'));
    expect(same(allWeights(ma), allWeights(mb))).toBe(true);
    expect(a.report.accuracy).toBe(b.report.accuracy);
    const wa = allWeights(ma);
    const wu = allWeights(mu);
    let maxDiff = 0;
    wa.forEach((x, i) => x.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - (wu[i]?.[j] as number))))));
    expect(maxDiff).toBeLessThan(1e-4);
    const ha = (await readFile(join(a.runDir, 'history.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { loss: number });
    const hu = (await readFile(join(u.runDir, 'history.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { loss: number });
    expect(hu.length).toBe(ha.length);
    hu.forEach((h, i) => expect(h.loss).toBeCloseTo(ha[i]?.loss as number, 4));
  });

  it("caches phase-1 features on onnxruntime ('auto' picks it) with the same result as TF.js", async () => {
    const root = await tempDir();
    const p1 = { schedule: { phase1: { epochs: 3, batchSize: 8, learningRate: 1e-2 }, phase2: { epochs: 0 }, seed: 7 } };
    const t = await train(opts(join(root, 't'), { ...p1, featureEngine: 'tfjs' }));
    const o = await train(opts(join(root, 'o'), { ...p1, featureEngine: 'onnxruntime' }));
    const auto = await train(opts(join(root, 'auto'), p1));
    expect(t.manifest.versions['feature-engine']).toMatch(/^tfjs/);
    expect(o.manifest.versions['feature-engine']).toBe('onnxruntime-node');
    expect(auto.manifest.versions['feature-engine']).toBe('onnxruntime-node');
    expect(auto.manifest.versions['feature-engine-fallback']).toBeUndefined();
    const hist = async (r: { runDir: string }): Promise<{ loss: number; val_loss: number }[]> =>
      (await readFile(join(r.runDir, 'history.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { loss: number; val_loss: number });
    const ht = await hist(t);
    const ho = await hist(o);
    expect(ho.length).toBe(ht.length);
    // Features agree to ~1e-5; after 3 epochs the losses agree to 1e-3 and the val predictions are the same.
    ho.forEach((h, i) => expect(Math.abs(h.val_loss - (ht[i]?.val_loss as number))).toBeLessThan(1e-3));
    expect(o.report.confusion).toEqual(t.report.confusion);
    expect(o.report.accuracy).toBe(t.report.accuracy);
  });

  it('resumes exactly after an interrupt in phase 1 and in phase 2', async () => {
    const root = await tempDir();
    // Engine pinned: the test is about checkpoint/resume exactness, not about the feature engine.
    const ref = await train(opts(join(root, 'ref'), { featureEngine: 'tfjs' }));
    const refW = allWeights(await loadLayersModelFile(join(ref.runDir, 'model', 'model.json')));
    for (const stopAt of [{ phase: 'phase1', epoch: 2, batch: 1 }, { phase: 'phase2', epoch: 1, batch: 2 }]) {
      const out = join(root, `r-${stopAt.phase}`);
      const ctl = new AbortController();
      const events: TrainerEvent[] = [];
      const err = await train(opts(out, { signal: ctl.signal, featureEngine: 'tfjs' }), (e) => {
        events.push(e);
        if (e.type === 'batch' && e.phase === stopAt.phase && e.epoch === stopAt.epoch && e.batch === stopAt.batch) ctl.abort();
      }).catch((e: unknown) => e);
      expect(isHeadstartError(err, 'INTERRUPTED')).toBe(true);
      const interrupted = events.find((e) => e.type === 'interrupted');
      expect(interrupted && interrupted.type === 'interrupted' && interrupted.resumeCommand).toContain('--resume');
      expect((await readManifest(out)).status).toBe('interrupted');
      const resumedEvents: TrainerEvent[] = [];
      const res = await train(opts(out, { resume: true, featureEngine: 'tfjs' }), (e) => resumedEvents.push(e));
      expect(resumedEvents[0]?.type === 'start' && resumedEvents[0].resumed).toBe(true);
      const w = allWeights(await loadLayersModelFile(join(res.runDir, 'model', 'model.json')));
      expect(same(w, refW)).toBe(true);
      expect(res.report.accuracy).toBe(ref.report.accuracy);
      const hist = (await readFile(join(out, 'history.jsonl'), 'utf8')).trim().split('\n');
      const refHist = (await readFile(join(ref.runDir, 'history.jsonl'), 'utf8')).trim().split('\n');
      expect(hist.map((l) => JSON.parse(l).loss)).toEqual(refHist.map((l) => JSON.parse(l).loss));
      await expect(stat(join(out, 'checkpoint'))).rejects.toThrow();
    }
  });

  it('refuses to resume from a corrupt checkpoint index instead of silently starting over', async () => {
    const out = join(await tempDir(), 'corrupt');
    const ctl = new AbortController();
    const err = await train(opts(out, { signal: ctl.signal, featureEngine: 'tfjs' }), (e) => {
      if (e.type === 'batch' && e.phase === 'phase1' && e.epoch === 2 && e.batch === 1) ctl.abort();
    }).catch((e: unknown) => e);
    expect(isHeadstartError(err, 'INTERRUPTED')).toBe(true);
    const index = join(out, 'checkpoint', 'latest.json');
    await writeFile(index, '{"generation": "gen-');
    const events: TrainerEvent[] = [];
    const resumed = await train(opts(out, { resume: true, featureEngine: 'tfjs' }), (e) => events.push(e)).catch((e: unknown) => e);
    expect((resumed as { code?: string }).code, String(resumed)).toBe('CHECKPOINT_INVALID');
    expect((resumed as Error).message).toContain(index);
    // Nothing trained and nothing overwritten: no phase started, the run is still the interrupted one.
    expect(events.some((e) => e.type === 'phase-start')).toBe(false);
    expect((await readManifest(out)).status).toBe('interrupted');
  });

  it('measured recipe: records the decision, trains a fixed head budget on tiny data, and heads with held-out validation', async () => {
    const out = join(await tempDir(), 'measured');
    const events: TrainerEvent[] = [];
    const r = await train({ data, out, base: basePath, preprocess: 'tf', backend: 'cpu', recipe: 'measured', cut: 'r1' }, (e) => events.push(e));
    const d = r.manifest.decision;
    expect(d?.recipe).toBe('measured');
    expect(d?.overridden).toContain('--cut');
    expect(r.manifest.base.cut).toBe('r1');
    expect(r.manifest.head.standardize).toBe(true);
    expect(d?.scores.map((s) => s.name)).toEqual(['r1/avg', 'r1/flatten']);
    // 3 classes × 8 training images: under 20 per class, so a fixed budget and no phase 2.
    expect(r.manifest.schedule.phase1.earlyStopping).toBe(false);
    expect(events.some((e) => e.type === 'phase-start' && e.phase === 'phase2')).toBe(false);
    expect(d?.headline).toMatchObject({ metric: 'val_acc', split: 'val' });
    expect(r.manifest.metrics['val_acc']).toBe(r.report.accuracy);
    const block = events.find((e) => e.type === 'decision');
    expect(block && block.type === 'decision' && block.lines.join('\n')).toContain('--recipe keras');
  }, 180_000);

  it('measured recipe: phase 2 is judged on validation images that picked no epoch', async () => {
    const root = await tempDir();
    const bigger = await makeImageDataset(join(root, 'data'), { classes: 3, perClass: 20, size: 20 });
    const events: TrainerEvent[] = [];
    const r = await train(
      { data: bigger, out: join(root, 'run'), base: basePath, preprocess: 'tf', backend: 'cpu', recipe: 'measured', cut: 'r1', schedule: { valSplit: 0.4, testSplit: 0, phase1: { epochs: 3, batchSize: 8 }, phase2: { epochs: 2, batchSize: 8, unfreeze: { kind: 'top', n: 2 } } } },
      (e) => events.push(e),
    );
    const p2 = r.manifest.decision?.phase2;
    // 24 validation images: 12 pick the epochs, the other 12 only judge phase 2 against phase 1.
    expect(r.manifest.dataset.counts.val).toBe(24);
    expect(p2?.judgedOn).toMatch(/^12 validation images that picked no epoch \(the other 12 picked them\)/);
    for (const acc of [p2?.phase1ValAcc, p2?.phase2ValAcc]) expect(Math.abs((acc ?? -1) * 12 - Math.round((acc ?? -1) * 12))).toBeLessThan(1e-9);
    expect(p2?.kept).toBe((p2?.phase2ValAcc ?? 0) > (p2?.phase1ValAcc ?? 0));
    expect(events.some((e) => e.type === 'decision' && e.lines.some((l) => l.startsWith(p2?.kept ? 'phase 2 kept' : 'phase 2 dropped')))).toBe(true);
  }, 180_000);

  it('writes the run directory, evaluates it again, and serves as a base', async () => {
    const root = await tempDir();
    const r = await train(opts(join(root, 'run'), { schedule: { phase1: { epochs: 2, batchSize: 8 }, phase2: { epochs: 0 }, testSplit: 0.2, seed: 3 } }));
    for (const f of ['headstart.json', 'model/model.json', 'model/weights.bin', 'history.jsonl', 'report.json', 'report.html']) {
      expect((await stat(join(r.runDir, f))).isFile()).toBe(true);
    }
    expect(r.manifest.base.cut).toBe('out');
    expect(r.manifest.dataset.counts.test).toBeGreaterThan(0);
    expect(r.manifest.metrics['test_acc']).toBe(r.report.accuracy);
    const html = await readFile(join(r.runDir, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/https?:\/\//);
    // Grad-CAM heat maps of every top loss, for its predicted and its actual label.
    expect(html).toContain('Where the model looked (top losses)');
    expect(html.match(/alt="heat map for /g)).toHaveLength(2 * r.report.topLosses.length);
    const image = join(data, 'class_b', 'img_0.png');
    const e = await explainRun(r.runDir, image);
    expect(e.source).toBe('TF.js layer out');
    expect(e.label).toBe(e.top.label);
    expect(e.overlay).toHaveLength(16 * 16 * 3);
    expect(Math.max(...e.heat.data)).toBeLessThanOrEqual(1);
    expect(e.overlay).not.toEqual(e.pixels);
    const forA = await explainRun(r.runDir, image, { label: 'class_a' });
    expect(forA.label).toBe('class_a');
    await expect(explainRun(r.runDir, image, { label: 'nope' })).rejects.toThrow(/class_a, class_b, class_c/);
    const again = await evaluateRun(r.runDir);
    expect(again.accuracy).toBe(r.report.accuracy);
    expect(again.confusion.flat().reduce((s, v) => s + v, 0)).toBe(r.manifest.dataset.counts.test);
    const own = JSON.parse(await readFile(join(r.runDir, 'report.json'), 'utf8')) as EvalReport;
    const whole = await evaluateRun(r.runDir, { data });
    expect(whole.count).toBe(30);
    // Other data gets its own report, named after it; the run's report stays as it was.
    expect(JSON.parse(await readFile(join(r.runDir, 'report.json'), 'utf8'))).toEqual(own);
    const other = JSON.parse(await readFile(join(r.runDir, 'report-data.json'), 'utf8')) as EvalReport;
    const sha = createHash('sha256').update(await readFile(join(r.runDir, 'model', 'weights.bin'))).digest('hex');
    expect(own.source).toMatchObject({ split: 'test', images: r.manifest.dataset.counts.test, modelSha256: sha });
    expect(other.source).toMatchObject({ data, split: 'all', images: 30, modelSha256: sha });
    // Test-time augmentation: its own report (report-data-tta.*), the plain accuracy beside it, and the time both took.
    const tta = await evaluateRun(r.runDir, { data, tta: true });
    expect(tta.count).toBe(30);
    expect(tta.tta).toMatchObject({ views: 4, accuracyWithout: whole.accuracy });
    expect(tta.tta!.seconds).toBeGreaterThan(0);
    expect(tta.tta!.secondsWithout).toBeGreaterThan(0);
    expect(await readFile(join(r.runDir, 'report-data-tta.html'), 'utf8')).toContain('Test-time augmentation');
    expect(JSON.parse(await readFile(join(r.runDir, 'report-data.json'), 'utf8'))).toEqual(other);
    const otherHtml = await readFile(join(r.runDir, 'report-data.html'), 'utf8');
    expect(otherHtml).toContain(data);
    expect(otherHtml).toContain(sha);
    expect(otherHtml).toContain('data:image/jpeg;base64,');
    const asBase = await loadBase(r.runDir);
    expect(asBase.cut).toBe('out');
    expect(asBase.model.layers.some((l) => l.name.startsWith('head_'))).toBe(false);
    expect(asBase.id).toBe('run:run');
  });

  it('caches augmented passes (or augments every step when none are cached), and trains the scratch CNN', async () => {
    const root = await tempDir();
    const cacheEnds: TrainerEvent[] = [];
    const aug = { horizontalFlip: true, rotation: 10 };
    const base = { phase1: { epochs: 2, batchSize: 8 }, phase2: { epochs: 0 }, seed: 7 };
    await train(opts(join(root, 'aug'), { schedule: { ...base, augment: aug, augmentedPasses: 2 } }), (e) => {
      if (e.type === 'cache' && e.stage === 'end') cacheEnds.push(e);
    });
    // 24 training images × (1 original + 2 augmented passes) + 6 validation images.
    expect(cacheEnds.map((e) => e.type === 'cache' && e.total)).toEqual([24 * 3 + 6]);
    const live: TrainerEvent[] = [];
    const r = await train(opts(join(root, 'aug-live'), { schedule: { ...base, augment: aug } }), (e) => live.push(e));
    expect(live.some((e) => e.type === 'cache')).toBe(false);
    expect(r.manifest.schedule.augment?.horizontalFlip).toBe(true);
    const scratchEvents: TrainerEvent[] = [];
    const s = await train(
      { data, out: join(root, 'scratch'), backend: 'wasm', inputSize: 16, schedule: { mode: 'scratch', phase1: { epochs: 2, batchSize: 8, learningRate: 1e-3 }, seed: 7 } },
      (e) => scratchEvents.push(e),
    );
    expect(s.manifest.base.id).toBe('scratch');
    expect(s.manifest.preprocess.size).toEqual([16, 16]);
    expect(scratchEvents.filter((e) => e.type === 'phase-start').map((e) => e.type === 'phase-start' && e.phase)).toEqual(['scratch']);
    const m = await loadLayersModelFile(join(s.runDir, 'model', 'model.json'));
    expect(m.getLayer('scratch_conv1').getWeights()[0]?.shape).toEqual([3, 3, 3, 32]);
  });

  it('stops an unusable dataset before training, with the check problems', async () => {
    const root = await tempDir();
    const bad = await makeImageDataset(join(root, 'one-class'), { classes: 1, perClass: 4, size: 16 });
    const events: TrainerEvent[] = [];
    const err = await train(opts(join(root, 'run'), { data: bad }), (e) => events.push(e)).catch((e: unknown) => e);
    expect(isHeadstartError(err, 'DATASET_UNUSABLE')).toBe(true);
    expect((err as Error).message).toContain(bad);
    expect(events.some((e) => e.type === 'phase-start' || e.type === 'start')).toBe(false);
  });
});
