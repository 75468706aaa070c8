import { HeadstartError } from '@headstart/core';

/** Runs a block of `count` images (NHWC uint8, concatenated) and returns count×C probabilities. */
export type BatchRunner = (rgb: Uint8Array, count: number) => Promise<Float32Array>;

/** Micro-batching limits. */
export interface BatcherOptions {
  /** Most images in one inference call. */
  maxBatch: number;
  /** Longest an item waits for company before its batch runs (0 = run on the next tick). */
  maxDelayMs: number;
  /** Most images waiting; more → QUEUE_FULL (429). */
  queueSize: number;
  /** Values per image (h×w×3). */
  imageSize: number;
  /** Classes per image in the output. */
  classes: number;
  onBatch?: (size: number, inferenceMs: number) => void;
}

/** What a caller gets back for its block of images. */
export interface BatchResult {
  probabilities: Float32Array;
  queueMs: number;
  inferenceMs: number;
  batchSize: number;
}

interface Item {
  rgb: Uint8Array;
  count: number;
  enqueuedAt: number;
  deadlineAt: number;
  resolve: (r: BatchResult) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout | undefined;
  settled: boolean;
}

/**
 * Per-model micro-batcher: concurrent requests are grouped up to `maxBatch` images or `maxDelayMs`,
 * whichever comes first; one batch runs at a time. A bounded queue refuses work it cannot take.
 */
export class Batcher {
  private readonly queue: Item[] = [];
  private queued = 0;
  private running = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly run: BatchRunner,
    private readonly opts: BatcherOptions,
  ) {}

  /** Images waiting (not running). */
  get depth(): number {
    return this.queued;
  }

  /** Queues `count` images; resolves with their probabilities or rejects QUEUE_FULL / DEADLINE_EXCEEDED. */
  submit(rgb: Uint8Array, count: number, deadlineAt: number): Promise<BatchResult> {
    if (this.closed) return Promise.reject(new HeadstartError('UNAVAILABLE', 'model is being unloaded; retry'));
    if (count > this.opts.maxBatch) {
      return Promise.reject(new HeadstartError('USAGE', `batch of ${count} images is over the server's max batch size ${this.opts.maxBatch}`));
    }
    if (this.queued + count > this.opts.queueSize) {
      const retryAfterS = Math.max(1, Math.ceil((this.opts.maxDelayMs + 50) / 1000));
      return Promise.reject(
        new HeadstartError('QUEUE_FULL', `prediction queue is full (${this.queued}/${this.opts.queueSize} images waiting); retry later`, {
          details: { retryAfterS },
        }),
      );
    }
    return new Promise<BatchResult>((resolve, reject) => {
      const now = performance.now();
      const item: Item = { rgb, count, enqueuedAt: now, deadlineAt, resolve, reject, timer: undefined, settled: false };
      const wait = deadlineAt - now;
      item.timer = setTimeout(() => this.expire(item), Math.max(0, wait));
      this.queue.push(item);
      this.queued += count;
      this.schedule();
    });
  }

  /** Refuses new work; queued items still run. */
  close(): void {
    this.closed = true;
  }

  private expire(item: Item): void {
    if (item.settled) return;
    item.settled = true;
    const i = this.queue.indexOf(item);
    if (i >= 0) {
      this.queue.splice(i, 1);
      this.queued -= item.count;
    }
    item.reject(new HeadstartError('DEADLINE_EXCEEDED', 'prediction did not finish within the request deadline'));
  }

  private schedule(): void {
    const oldest = this.queue[0];
    if (this.running || oldest === undefined) return;
    const wait = this.queued >= this.opts.maxBatch ? 0 : Math.max(0, oldest.enqueuedAt + this.opts.maxDelayMs - performance.now());
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    const fire = (): void => {
      this.flushTimer = undefined;
      void this.flush();
    };
    if (wait === 0) {
      this.flushTimer = undefined;
      setImmediate(fire);
    } else {
      this.flushTimer = setTimeout(fire, wait);
    }
  }

  private async flush(): Promise<void> {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const batch: Item[] = [];
    let images = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0] as Item;
      if (batch.length > 0 && images + next.count > this.opts.maxBatch) break;
      this.queue.shift();
      this.queued -= next.count;
      batch.push(next);
      images += next.count;
    }
    const rgb = new Uint8Array(images * this.opts.imageSize);
    let offset = 0;
    for (const item of batch) {
      rgb.set(item.rgb, offset);
      offset += item.rgb.length;
    }
    const started = performance.now();
    try {
      const probs = await this.run(rgb, images);
      const inferenceMs = performance.now() - started;
      this.opts.onBatch?.(images, inferenceMs);
      let row = 0;
      for (const item of batch) {
        const slice = probs.slice(row * this.opts.classes, (row + item.count) * this.opts.classes);
        row += item.count;
        this.settle(item, () => item.resolve({ probabilities: slice, queueMs: started - item.enqueuedAt, inferenceMs, batchSize: images }));
      }
    } catch (e) {
      for (const item of batch) this.settle(item, () => item.reject(e));
    } finally {
      this.running = false;
      if (this.queue.length > 0) this.schedule();
    }
  }

  private settle(item: Item, fn: () => void): void {
    if (item.settled) return;
    item.settled = true;
    clearTimeout(item.timer);
    fn();
  }
}
