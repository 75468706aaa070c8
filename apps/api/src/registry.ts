import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { HeadstartError } from '@headstart/core';
import { createClassifier, type Classifier, type NodeClassifierOptions } from '@headstart/inference/node';
import { Batcher, type BatcherOptions } from './batcher.ts';

/** Model names allowed in the registry and in URLs. */
export const MODEL_NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;
const VERSION_RE = /^[1-9][0-9]{0,8}$/;

/** One loaded model version, serving requests. */
export interface ModelVersion {
  readonly name: string;
  readonly version: number;
  readonly modelPath: string;
  readonly classifier: Classifier;
  readonly batcher: Batcher;
  /** headstart.json next to the model, when present and valid JSON. */
  readonly manifest: Record<string, unknown> | undefined;
  readonly signature: string;
  readonly loadedAt: string;
}

/** Registry behaviour. */
export interface RegistryOptions {
  dir: string;
  classifier: NodeClassifierOptions;
  batching: Omit<BatcherOptions, 'imageSize' | 'classes' | 'onBatch'>;
  /** Poll interval for changes in ms (0 = no polling; call `refresh()` yourself). */
  pollMs: number;
  /** Also rescan (debounced) on file-system events under `dir` (fs.watch, recursive); polling stays as the fallback. */
  watch?: boolean;
  log: (level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => void;
}

/** A version that failed to load (shown in listings so operators see why). */
export interface LoadFailure {
  name: string;
  version: number;
  error: string;
}

interface Slot {
  current: ModelVersion;
  inflight: number;
}

/** Parses a version path segment; undefined unless it is a positive integer. */
export function parseVersion(v: string): number | undefined {
  return VERSION_RE.test(v) ? Number(v) : undefined;
}

/** The one check of a `:v` route parameter (v1 and v2): undefined when absent, USAGE (400) unless a positive integer. */
export function versionParam(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = parseVersion(v);
  if (n === undefined) throw new HeadstartError('USAGE', `model version must be a positive integer, got "${v.slice(0, 20)}"`);
  return n;
}

async function signatureOf(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? `${s.size}:${s.mtimeMs}` : undefined;
  } catch {
    return undefined;
  }
}

async function listDirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}

/**
 * The serving registry `models/<name>/<version>/model.onnx`: loads every version, polls for changes,
 * swaps in new sessions without dropping in-flight requests (old sessions are disposed after they drain).
 */
export class ModelRegistry {
  private readonly slots = new Map<string, Map<number, Slot>>();
  private readonly retiring = new Set<Slot>();
  private readonly batchListeners: ((model: string, size: number, inferenceMs: number) => void)[] = [];
  private failures: LoadFailure[] = [];
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private closed = false;
  /** Resolves after the first scan. */
  readonly ready: Promise<void>;
  private isReady = false;

  constructor(private readonly opts: RegistryOptions) {
    this.ready = this.refresh().then(() => {
      this.isReady = true;
      if (opts.pollMs > 0 && !this.closed) {
        this.timer = setInterval(() => void this.refresh(), opts.pollMs);
        this.timer.unref();
      }
      if (opts.watch === true && !this.closed) this.startWatching();
    });
  }

  /** Calls `listener` after every inference batch (for metrics). */
  onBatch(listener: (model: string, size: number, inferenceMs: number) => void): void {
    this.batchListeners.push(listener);
  }

  /** True once the first scan has finished. */
  get loaded(): boolean {
    return this.isReady;
  }

  /** Names with at least one loaded version, sorted. */
  names(): string[] {
    return [...this.slots.keys()].filter((n) => (this.slots.get(n)?.size ?? 0) > 0).sort();
  }

  /** Loaded versions of a model, ascending. */
  versions(name: string): number[] {
    return [...(this.slots.get(name)?.keys() ?? [])].sort((a, b) => a - b);
  }

  /** Versions that failed to load on the last scan. */
  loadFailures(): LoadFailure[] {
    return [...this.failures];
  }

  /** The model version (latest when `version` is undefined), or MODEL_NOT_FOUND. Never touches the file system. */
  get(name: string, version?: number): ModelVersion {
    return this.slot(name, version).current;
  }

  /** Runs `fn` with a model version held so a reload cannot dispose it mid-request. */
  async use<T>(name: string, version: number | undefined, fn: (m: ModelVersion) => Promise<T>): Promise<T> {
    const slot = this.slot(name, version);
    const model = slot.current;
    slot.inflight++;
    try {
      return await fn(model);
    } finally {
      slot.inflight--;
      if (slot.inflight === 0 && this.retiring.has(slot)) void this.dispose(slot);
    }
  }

  private slot(name: string, version?: number): Slot {
    if (!MODEL_NAME_RE.test(name)) {
      throw new HeadstartError('USAGE', `model name must match ${MODEL_NAME_RE.source}`, { details: { name: name.slice(0, 80) } });
    }
    const versions = this.slots.get(name);
    if (versions === undefined || versions.size === 0) throw new HeadstartError('MODEL_NOT_FOUND', `no model named "${name}" is loaded`);
    const v = version ?? Math.max(...versions.keys());
    const slot = versions.get(v);
    if (slot === undefined) throw new HeadstartError('MODEL_NOT_FOUND', `model "${name}" has no version ${v} (loaded: ${this.versions(name).join(', ')})`);
    return slot;
  }

  /** Rescans the directory: loads new or changed versions, retires removed ones. A call during a scan waits for a fresh one. */
  refresh(): Promise<void> {
    if (this.refreshing === undefined) {
      this.refreshing = this.scan().finally(() => {
        this.refreshing = undefined;
      });
      return this.refreshing;
    }
    this.queued ??= this.refreshing.then(() => {
      this.queued = undefined;
      return this.refresh();
    });
    return this.queued;
  }

  private startWatching(): void {
    try {
      this.watcher = watch(resolve(this.opts.dir), { recursive: true, persistent: false }, () => {
        if (this.debounce !== undefined) clearTimeout(this.debounce);
        this.debounce = setTimeout(() => void this.refresh(), 250);
        this.debounce.unref();
      });
      this.watcher.on('error', (e) => {
        this.opts.log('warn', `file watching of ${this.opts.dir} stopped (${e.message}); polling continues`);
        this.watcher?.close();
      });
    } catch (e) {
      this.opts.log('warn', `cannot watch ${this.opts.dir} (${(e as Error).message}); relying on polling`);
    }
  }

  private async scan(): Promise<void> {
    const root = resolve(this.opts.dir);
    const seen = new Set<string>();
    const failures: LoadFailure[] = [];
    for (const name of await listDirs(root)) {
      if (!MODEL_NAME_RE.test(name)) continue;
      for (const vdir of await listDirs(join(root, name))) {
        const version = parseVersion(vdir);
        if (version === undefined) continue;
        const modelPath = join(root, name, vdir, 'model.onnx');
        const signature = await signatureOf(modelPath);
        if (signature === undefined) continue;
        seen.add(`${name}/${version}`);
        const existing = this.slots.get(name)?.get(version);
        if (existing?.current.signature === signature) continue;
        try {
          const model = await this.load(name, version, modelPath, signature);
          if (this.closed) {
            await model.classifier.dispose();
            return;
          }
          let versions = this.slots.get(name);
          if (versions === undefined) {
            versions = new Map();
            this.slots.set(name, versions);
          }
          versions.set(version, { current: model, inflight: 0 });
          if (existing !== undefined) this.retire(existing);
          this.opts.log('info', `${existing === undefined ? 'loaded' : 'reloaded'} model ${name} v${version}`, { provider: model.classifier.provider });
        } catch (e) {
          failures.push({ name, version, error: (e as Error).message });
          this.opts.log('error', `could not load ${modelPath}: ${(e as Error).message}`);
        }
      }
    }
    for (const [name, versions] of this.slots) {
      for (const [version, slot] of versions) {
        if (!seen.has(`${name}/${version}`)) {
          versions.delete(version);
          this.retire(slot);
          this.opts.log('info', `unloaded model ${name} v${version} (removed from ${root})`);
        }
      }
      if (versions.size === 0) this.slots.delete(name);
    }
    this.failures = failures;
  }

  private async load(name: string, version: number, modelPath: string, signature: string): Promise<ModelVersion> {
    const bytes = await readFile(modelPath);
    const classifier = await createClassifier(bytes, {
      ...this.opts.classifier,
      logger: (msg) => this.opts.log('info', `${name} v${version}: ${msg}`),
    });
    const [h, w] = classifier.inputSize;
    const batcher = new Batcher((rgb, count) => classifier.runPixels(rgb, count), {
      ...this.opts.batching,
      onBatch: (size, ms) => {
        for (const l of this.batchListeners) l(name, size, ms);
      },
      imageSize: h * w * 3,
      classes: classifier.labels.length,
    });
    let manifest: Record<string, unknown> | undefined;
    try {
      const parsed = JSON.parse(await readFile(join(modelPath, '..', 'headstart.json'), 'utf8')) as unknown;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) manifest = parsed as Record<string, unknown>;
    } catch {
      manifest = undefined; // headstart.json is optional
    }
    return { name, version, modelPath, classifier, batcher, manifest, signature, loadedAt: new Date().toISOString() };
  }

  // A retired slot is unreachable for new requests but keeps serving the ones that hold it
  // (including those still reading or decoding their images): its batcher closes and its session
  // is disposed only once the last of them is done.
  private retire(slot: Slot): void {
    this.retiring.add(slot);
    if (slot.inflight === 0) void this.dispose(slot);
  }

  private async dispose(slot: Slot): Promise<void> {
    if (!this.retiring.delete(slot)) return;
    slot.current.batcher.close();
    try {
      await slot.current.classifier.dispose();
    } catch (e) {
      this.opts.log('warn', `disposing ${slot.current.name} v${slot.current.version} failed: ${(e as Error).message}`);
    }
  }

  /** Stops polling and disposes every session once its requests have drained. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.debounce !== undefined) clearTimeout(this.debounce);
    this.watcher?.close();
    await this.queued;
    await this.refreshing;
    for (const versions of this.slots.values()) for (const slot of versions.values()) this.retire(slot);
    this.slots.clear();
    const deadline = Date.now() + 10_000;
    while (this.retiring.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }
}
