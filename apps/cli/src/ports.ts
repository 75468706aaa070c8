/**
 * Typed ports onto @headstart/trainer (loaded lazily so `headstart --help` never pulls in TF.js)
 * and @headstart/exporter (lazily too), so commands can be tested with scripted fakes.
 * Shapes follow the agreed cross-team contract.
 */
import type { EvalReport, EventSink, HeadSpec } from '@headstart/core';
// Type-only: erased at run time, so `headstart --help` still never loads TF.js.
import type { Advice, BackendName, BaseCacheState, BaseInfo, CachedModel, DeepCheckOptions, DeepCheckResult, FeatureJob, FeatureQueue, ScheduleInput, TrainOptions, TrainResult } from '@headstart/trainer';

export type { Advice, BackendName, BaseCacheState, BaseInfo, CachedModel, DeepCheckOptions, DeepCheckResult, EvalReport, FeatureJob, FeatureQueue, HeadSpec, ScheduleInput, TrainOptions, TrainResult };

/** Phase settings as the trainer accepts them: every field optional. */
export type PhaseInput = NonNullable<ScheduleInput['phase1']>;

/** The part of @headstart/trainer the CLI uses (a port, so commands can be tested with fakes). */
export interface TrainerApi {
  train(opts: TrainOptions, onEvent: EventSink): Promise<TrainResult>;
  evaluateRun(runDir: string, opts: { data?: string; topK?: number; tta?: boolean }, onEvent?: EventSink): Promise<EvalReport>;
  /** File stem of the report an evaluation on `data` writes (`report`, or `report-<name>` for other data). */
  reportStem(data?: string, tta?: boolean): string;
  /** One line on test-time augmentation's accuracy gain and cost (undefined without TTA). */
  ttaSummary(report: EvalReport): string | undefined;
  listBases(): BaseInfo[];
  baseCacheStates(cacheDir: string): Promise<Record<string, BaseCacheState>>;
  pullBase(id: string, opts: { cacheDir: string; mirror?: string }, onEvent?: EventSink): Promise<CachedModel>;
  pinSnippet(id: string, cacheDir: string): Promise<string[]>;
  adviseForDataset(data: string, opts?: Record<string, unknown>): Promise<Advice>;
  deepCheck(data: string, opts?: DeepCheckOptions): Promise<DeepCheckResult>;
  writeDeepCheckFiles(result: DeepCheckResult, dir: string): Promise<{ csv: string; html: string }>;
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

/** The collaborators `main()` hands every command (a test passes fakes; production the real packages). */
export interface CliPorts {
  loadTrainer(): Promise<TrainerApi>;
  loadExporter(): Promise<ExporterApi | undefined>;
}

/** Loads @headstart/trainer on demand (TF.js is heavy; only training commands need it). */
export async function loadTrainer(): Promise<TrainerApi> {
  const t = await import('@headstart/trainer');
  return { train: t.train, evaluateRun: t.evaluateRun, reportStem: t.reportStem, ttaSummary: t.ttaSummary, listBases: t.listBases, baseCacheStates: t.baseCacheStates, pullBase: t.pullBase, pinSnippet: t.pinSnippet, adviseForDataset: t.adviseForDataset, deepCheck: t.deepCheck, writeDeepCheckFiles: t.writeDeepCheckFiles };
}

/** The exporter (light: protobuf only, no TF.js), imported on demand like the `export` command does (start-up stays lean). */
export async function loadExporter(): Promise<ExporterApi | undefined> {
  const { exportRun } = await import('@headstart/exporter');
  return { exportRun: (runDir, opts) => exportRun(runDir, opts) };
}

/** The production ports: the trainer and the exporter, each loaded on demand. */
export const defaultPorts: CliPorts = { loadTrainer, loadExporter };
