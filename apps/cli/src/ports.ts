/**
 * Typed ports onto @headstart/trainer (loaded lazily so `headstart --help` never pulls in TF.js)
 * and @headstart/exporter, so commands can be tested with scripted fakes.
 * Shapes follow the agreed cross-team contract.
 */
import { HeadstartError, type EvalReport, type EventSink, type HeadSpec, type PreprocessMode, type RunManifest } from '@headstart/core';
import { exportRun } from '@headstart/exporter';
import type { z } from 'zod';
import type { AugmentSpecSchema, HeadSpecSchema, PhaseSpecSchema, UnfreezePolicy } from '@headstart/core';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** Phase settings as the trainer accepts them: every field optional. */
export type PhaseInput = Partial<z.input<typeof PhaseSpecSchema>>;

/** The schedule as the CLI passes it: a deep-partial ScheduleSpec input. */
export interface ScheduleInput {
  mode?: 'transfer' | 'scratch';
  phase1?: PhaseInput;
  phase2?: PhaseInput & { unfreeze?: UnfreezePolicy };
  augment?: z.input<typeof AugmentSpecSchema>;
  augmentedPasses?: number;
  classWeights?: 'auto' | 'none' | Record<string, number>;
  valSplit?: number;
  testSplit?: number;
  seed?: number;
}

/** Options of the trainer's `train` (contract). */
export interface TrainOptions {
  data: string;
  out: string;
  base?: string;
  inputSize?: number;
  cut?: string;
  preprocess?: PreprocessMode;
  head?: z.input<typeof HeadSpecSchema>;
  schedule?: ScheduleInput;
  backend?: BackendName | 'auto';
  resume?: boolean;
  signal?: AbortSignal;
  maxImages?: number;
}

/** Evaluation report: core's EvalReport (report.json). */
export type { EvalReport };

export interface TrainResult {
  runDir: string;
  manifest: RunManifest;
  report: EvalReport;
}

/** One entry of the base catalogue. */
export interface BaseInfo {
  id: string;
  inputSize: [number, number];
  preprocess: PreprocessMode;
  defaultCut: string;
  resizable: boolean;
  source: string;
  provenance: string;
  description: string;
}

/** What the strategy advisor recommends. */
export interface Advice {
  case: 1 | 2 | 3 | 4;
  schedule: ScheduleInput;
  cut: 'default' | 'earlier' | string;
  reasons: string[];
  [extra: string]: unknown;
}

/** The part of @headstart/trainer the CLI uses. */
export interface TrainerApi {
  train(opts: TrainOptions, onEvent: EventSink): Promise<TrainResult>;
  evaluateRun(runDir: string, opts: { data?: string; topK?: number }, onEvent?: EventSink): Promise<EvalReport>;
  listBases(): BaseInfo[];
  adviseForDataset(data: string, opts?: Record<string, unknown>): Promise<Advice>;
}

/** What an export wrote (the exporter's ExportResult, the fields the CLI reads). */
export interface ExportResult {
  path: string;
  bytes: number;
  opset: number;
  sha256: string;
}

/** The part of @headstart/exporter the CLI uses. */
export interface ExporterApi {
  exportRun(runDir: string, opts?: { out?: string; opset?: number; fp16?: boolean }): Promise<ExportResult>;
}

export type { HeadSpec };

function missing(pkg: string, names: string[]): HeadstartError {
  return new HeadstartError(
    'BACKEND_UNAVAILABLE',
    `${pkg} does not provide ${names.join(', ')} yet; this command needs it (update the checkout).`,
  );
}

/** Loads @headstart/trainer on demand; throws a HeadstartError naming what is missing. */
export async function loadTrainer(): Promise<TrainerApi> {
  const mod = (await import('@headstart/trainer')) as unknown as Partial<TrainerApi> & {
    selectBackend?: (name: BackendName | 'auto') => Promise<unknown>;
  };
  const want = ['train', 'evaluateRun', 'listBases', 'adviseForDataset'] as const;
  const absent = want.filter((k) => typeof mod[k] !== 'function');
  if (absent.length === want.length) throw missing('@headstart/trainer', absent);
  return {
    async train(o, s) {
      if (!mod.train) throw missing('@headstart/trainer', ['train']);
      // The trainer reads a resume checkpoint before it selects the backend; in a fresh process
      // TF.js then has none ("backend 'wasm' has not yet been initialized"). Select it first.
      if (o.resume && mod.selectBackend) await mod.selectBackend(o.backend ?? 'auto');
      return mod.train(o, s);
    },
    evaluateRun: (r, o, s) =>
      mod.evaluateRun ? mod.evaluateRun(r, o, s) : Promise.reject(missing('@headstart/trainer', ['evaluateRun'])),
    listBases: () => {
      if (!mod.listBases) throw missing('@headstart/trainer', ['listBases']);
      return mod.listBases();
    },
    adviseForDataset: (d, o) =>
      mod.adviseForDataset ? mod.adviseForDataset(d, o) : Promise.reject(missing('@headstart/trainer', ['adviseForDataset'])),
  };
}

/** The exporter (light: protobuf only, no TF.js), imported statically like the `export` command does. */
export async function loadExporter(): Promise<ExporterApi | undefined> {
  return { exportRun: (runDir, opts) => exportRun(runDir, opts) };
}
