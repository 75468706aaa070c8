/** `headstart predict MODEL <folder|glob|CSV> [--out results.csv|.jsonl] [--queue redis://…]`: bulk prediction, local or on queue workers. */
import { BULK_DEFAULTS, HeadstartError, encodePredictionCsv, encodePredictionJsonl, predictionCsvHeader, type ModelRef, type PredictChunkJob, type PredictionRow } from '@headstart/core';
import { listBulkInputs, openPredictionOutput, type PredictionOutput } from '@headstart/core-node';
import type { CliIo } from '../io.ts';
import { ClassifierCache, parallelismFor, predictJobId, predictJobs, processPredictChunk, type Parallelism } from './predict-chunk.ts';
import { progressLine } from './progress.ts';
import { PredictThreads, runOnThreads } from './thread-pool.ts';

/** Options of {@link bulkPredict}. */
export interface BulkPredictOptions {
  /** The model: a path, or an http(s) URL (queue workers download it and check its hash). */
  model: string;
  input: string;
  topK: number;
  out?: string;
  queue?: string;
  threads?: number;
  chunkSize?: number;
  provider?: 'auto' | 'cuda' | 'cpu';
  json?: boolean;
}

/** What a bulk run did. */
export interface BulkSummary {
  total: number;
  skipped: number;
  classified: number;
  failed: number;
  seconds: number;
  imagesPerSecond: number;
}

/** Where rows go: the --out file (resumable), or stdout. */
interface Sink {
  previous: PredictionRow[];
  append(rows: readonly PredictionRow[]): Promise<void>;
}

function stdoutSink(io: CliIo, topK: number, json: boolean): Sink {
  if (!json) io.stdout.write(`${predictionCsvHeader(topK).join(',')}\n`);
  return {
    previous: [],
    async append(rows) {
      for (const r of rows) io.stdout.write(`${json ? encodePredictionJsonl(r) : encodePredictionCsv(r, topK)}\n`);
    },
  };
}

/** Classifies every image the input names, resuming from `--out` when it exists; returns the summary it printed. */
export async function bulkPredict(opts: BulkPredictOptions, io: CliIo): Promise<BulkSummary> {
  const { loadModelBytes } = await import('@headstart/inference/node');
  const { sha256 } = await loadModelBytes(opts.model);
  const model: ModelRef = { source: opts.model, sha256 };
  const parallelism = parallelismFor(opts.threads);
  const local = opts.queue ? undefined : openLocal(parallelism, opts.provider ?? 'auto');
  // The sessions open (on their own threads, where there are lanes) while this thread walks the input.
  local?.warm(model);
  try {
    return await predictAll(opts, io, model, local);
  } finally {
    await local?.close();
  }
}

/** Where local chunks run: the lanes of ./thread-pool.ts, or one single-threaded session on this thread. */
interface LocalRunner {
  warm(model: ModelRef): void;
  runAll(jobs: readonly PredictChunkJob[], write: (rows: PredictionRow[]) => Promise<void>): Promise<void>;
  /** Chunk size when the caller gives none. */
  chunkSize: number;
  close(): Promise<void>;
}

function openLocal(parallelism: Parallelism, provider: 'auto' | 'cuda' | 'cpu'): LocalRunner {
  if (parallelism.threads > 1 && provider !== 'cuda') {
    const pool = new PredictThreads(parallelism.threads, provider);
    return {
      warm: (model) => pool.warm(model),
      runAll: (jobs, write) => runOnThreads(pool, jobs, write),
      chunkSize: BULK_DEFAULTS.threadChunkSize,
      close: () => pool.close(),
    };
  }
  const cache = new ClassifierCache(parallelism, provider);
  return {
    warm: (model) => void cache.get(model).catch(() => undefined),
    async runAll(jobs, write) {
      for (const job of jobs) await processPredictChunk(job, cache, parallelism, write);
    },
    chunkSize: parallelism.threads > 1 ? BULK_DEFAULTS.threadChunkSize : BULK_DEFAULTS.chunkSize,
    close: () => cache.dispose(),
  };
}

/** Walks the input, opens the output (resuming it) and classifies what is not there yet, locally or on the queue. */
async function predictAll(opts: BulkPredictOptions, io: CliIo, model: ModelRef, local: LocalRunner | undefined): Promise<BulkSummary> {
  const { sha256 } = model;
  const { files, skipped: nonImages } = await listBulkInputs(opts.input);
  const sink: Sink | PredictionOutput = opts.out ? await openPredictionOutput(opts.out, opts.topK) : stdoutSink(io, opts.topK, opts.json === true);
  const other = sink.previous.find((r) => r.model !== sha256);
  if (other) throw new HeadstartError('USAGE', `${opts.out} holds results of another model (${other.model}); pick another --out to predict with ${sha256}`);
  const done = new Set(sink.previous.map((r) => r.path));
  const todo = files.filter((f) => !done.has(f));
  const resumed = files.length - todo.length;
  if (resumed > 0) io.stderr.write(`resuming ${opts.out}: ${resumed} of ${files.length} images already there\n`);
  const bar = progressLine(io.stderr, opts.queue ? 'predict (queue)' : 'predict', files.length, resumed);
  let count = resumed;
  let failed = 0;
  const write = async (rows: readonly PredictionRow[]): Promise<void> => {
    await sink.append(rows);
    count += rows.length;
    failed += rows.filter((r) => r.error).length;
    bar.update(count);
  };
  const t0 = performance.now();
  const jobs = predictJobs(model, opts.topK, todo, opts.chunkSize ?? local?.chunkSize ?? BULK_DEFAULTS.chunkSize);
  try {
    if (local) await local.runAll(jobs, write);
    else if (opts.queue) {
      const { runChunks } = await import('@headstart/queue');
      const { PredictChunkResultSchema } = await import('@headstart/core');
      await runChunks({
        url: opts.queue,
        chunks: jobs.map((data) => ({ id: predictJobId(data), kind: 'predict', data })),
        onResult: (_c, result) => write(PredictChunkResultSchema.parse(result).rows),
        resumeHint: opts.out
          ? `${count} results are in ${opts.out}; run the same command again to resume`
          : 'run again with --out FILE to keep results across runs',
      });
    }
  } finally {
    bar.end();
  }
  const seconds = (performance.now() - t0) / 1000;
  const summary: BulkSummary = {
    total: files.length,
    skipped: resumed,
    classified: todo.length - failed,
    failed,
    seconds,
    imagesPerSecond: todo.length / Math.max(seconds, 1e-6),
  };
  const where = opts.out ? ` → ${opts.out}` : '';
  const extra = nonImages > 0 ? `; ${nonImages} non-image files left out` : '';
  io.stderr.write(
    `predicted ${todo.length} images in ${seconds.toFixed(1)} s (${summary.imagesPerSecond.toFixed(0)} img/s${opts.queue ? ', on queue workers' : ''}): ${summary.classified} classified, ${failed} unreadable${resumed > 0 ? `, ${resumed} already done` : ''}${extra}${where}\n`,
  );
  return summary;
}
