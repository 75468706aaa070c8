/** The one piece of work of bulk prediction: classify a chunk of files. Local runs and queue workers share it. */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { BULK_DEFAULTS, PredictChunkJobSchema, type ModelRef, type PredictChunkJob, type PredictionRow } from '@headstart/core';
import type { Classifier } from '@headstart/inference/node';

/** How hard one process works: onnxruntime intra-op threads and files decoded at once. */
export interface Parallelism {
  threads: number;
  decodeConcurrency: number;
}

/** One bulk-predict lane's own work: a single-threaded session, the next batch decoding while one runs. */
export const SINGLE_THREAD: Parallelism = { threads: 1, decodeConcurrency: 2 };

/**
 * Parallelism for `--threads N` (default: every core). 1 = strictly single-threaded inference and
 * decoding; N > 1 = N bulk-predict lanes (./thread-pool.ts), each {@link SINGLE_THREAD}.
 */
export function parallelismFor(threads: number | undefined): Parallelism {
  const n = Math.max(1, Math.floor(threads ?? availableParallelism()));
  return { threads: n, decodeConcurrency: n === 1 ? 1 : 2 * n };
}

/** The stable id of a chunk job: the same files, model and top-k always give the same id. */
export function predictJobId(job: PredictChunkJob): string {
  const h = createHash('sha256').update(`${job.model.sha256}\n${job.topK}\n${job.files.join('\n')}`).digest('hex');
  return `predict-${h.slice(0, 32)}`;
}

/** Cuts the files into chunk jobs. */
export function predictJobs(model: ModelRef, topK: number, files: readonly string[], chunkSize: number = BULK_DEFAULTS.chunkSize): PredictChunkJob[] {
  const jobs: PredictChunkJob[] = [];
  for (let i = 0; i < files.length; i += chunkSize) jobs.push({ kind: 'predict', model, topK, files: files.slice(i, i + chunkSize) });
  return jobs;
}

/** Whatever opens the classifier of a model reference: a {@link ClassifierCache}, or one lane of ./thread-pool.ts. */
export interface ClassifierSource {
  get(ref: ModelRef): Promise<Classifier>;
}

/** Opens classifiers by model hash, once per process (workers see many chunks of one model). */
export class ClassifierCache implements ClassifierSource {
  private readonly open = new Map<string, Promise<Classifier>>();
  constructor(
    private readonly parallelism: Parallelism,
    private readonly provider: 'auto' | 'cuda' | 'cpu' = 'auto',
  ) {}

  /** The classifier for `ref`, loading (and hash-checking) the model the first time. */
  get(ref: ModelRef): Promise<Classifier> {
    let c = this.open.get(ref.sha256);
    if (c === undefined) {
      c = (async () => {
        const { createClassifier, loadModelBytes } = await import('@headstart/inference/node');
        const { bytes } = await loadModelBytes(ref.source, ref.sha256);
        return createClassifier(bytes, { threads: this.parallelism.threads, provider: this.provider });
      })();
      c.catch(() => this.open.delete(ref.sha256));
      this.open.set(ref.sha256, c);
    }
    return c;
  }

  /** Releases every session. */
  async dispose(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map(async (c) => (await c).dispose().catch(() => undefined)));
  }
}

/** Classifies one chunk job (validated); rows in the job's file order. */
export async function processPredictChunk(
  data: unknown,
  cache: ClassifierSource,
  parallelism: Parallelism,
  onBatch?: (rows: PredictionRow[]) => void | Promise<void>,
): Promise<PredictionRow[]> {
  const job = PredictChunkJobSchema.parse(data);
  const { classifyFiles } = await import('@headstart/inference/node');
  const clf = await cache.get(job.model);
  return classifyFiles(clf, job.files, {
    topK: job.topK,
    modelHash: job.model.sha256,
    batchSize: BULK_DEFAULTS.batchSize,
    decodeConcurrency: parallelism.decodeConcurrency,
    ...(onBatch ? { onBatch } : {}),
  });
}
