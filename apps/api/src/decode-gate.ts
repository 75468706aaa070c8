import { HeadstartError } from '@headstart/core';

/** Limits of {@link DecodeGate}. */
export interface DecodeGateOptions {
  /** Most decoded pixels in flight at once (one image over the budget still runs alone). */
  pixelBudget: number;
  /** Most images decoding at once. */
  concurrency: number;
  /** Most images waiting for a decode slot; more → QUEUE_FULL (429). */
  queueSize: number;
}

interface Waiter {
  pixels: number;
  images: number;
  start: () => void;
  shed: (e: HeadstartError) => void;
  timer: NodeJS.Timeout | undefined;
}

/** Releases what {@link DecodeGate.acquire} reserved; call once. */
export type Release = () => void;

/**
 * Admission control in front of image decoding: a budget of decoded pixels in flight (not a
 * request count, so one 25 MP image weighs as much as a thousand thumbnails), a bound on
 * concurrent decodes and on waiting images. Work that cannot start before its deadline is shed
 * at once (503 + Retry-After) rather than decoded and then dropped: decoding happens before the
 * inference queue, so it must be bounded on its own.
 */
export class DecodeGate {
  private inflightPixels = 0;
  private inflightImages = 0;
  private waitingImages = 0;
  private readonly waiters: Waiter[] = [];
  /** Measured decode throughput (pixels per ms), exponentially averaged; undefined until the first decode. */
  private pixelsPerMs: number | undefined;

  constructor(private readonly opts: DecodeGateOptions) {}

  /** Pixels being decoded now. */
  get pixelsInFlight(): number {
    return this.inflightPixels;
  }

  /** Images waiting for a decode slot. */
  get depth(): number {
    return this.waitingImages;
  }

  /** Runs `fn` once `pixels` (summed over `images`) fit the budget, or sheds the request. */
  async run<T>(pixels: number, images: number, deadlineAt: number, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(pixels, images, deadlineAt);
    const started = performance.now();
    try {
      return await fn();
    } finally {
      release();
      this.observe(pixels, performance.now() - started);
    }
  }

  /** Reserves budget for `pixels`; rejects QUEUE_FULL (429) or UNAVAILABLE (503), both with a Retry-After. */
  acquire(pixels: number, images: number, deadlineAt: number): Promise<Release> {
    if (this.fits(pixels, images) && this.waiters.length === 0) return Promise.resolve(this.take(pixels, images));
    const retryAfterS = this.retryAfterS(pixels);
    if (this.waitingImages + images > this.opts.queueSize) {
      return Promise.reject(
        new HeadstartError('QUEUE_FULL', `decode queue is full (${this.waitingImages}/${this.opts.queueSize} images waiting); retry later`, { details: { retryAfterS } }),
      );
    }
    const latestStart = deadlineAt - this.estimateMs(pixels);
    const expectedStart = performance.now() + this.estimateMs(this.inflightPixels + this.waitingPixels());
    if (this.pixelsPerMs !== undefined && expectedStart > latestStart) return Promise.reject(this.busy(retryAfterS));
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        pixels,
        images,
        start: () => resolve(this.take(pixels, images)),
        shed: reject,
        timer: undefined,
      };
      waiter.timer = setTimeout(() => this.drop(waiter, this.busy(this.retryAfterS(pixels))), Math.max(0, latestStart - performance.now()));
      this.waiters.push(waiter);
      this.waitingImages += images;
    });
  }

  private busy(retryAfterS: number): HeadstartError {
    return new HeadstartError('UNAVAILABLE', 'image decoding is at capacity and this request could not start before its deadline; retry later', { details: { retryAfterS } });
  }

  private fits(pixels: number, images: number): boolean {
    if (this.inflightImages === 0) return true; // one image over the budget still runs, alone
    return this.inflightPixels + pixels <= this.opts.pixelBudget && this.inflightImages + images <= this.opts.concurrency;
  }

  private take(pixels: number, images: number): Release {
    this.inflightPixels += pixels;
    this.inflightImages += images;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inflightPixels -= pixels;
      this.inflightImages -= images;
      this.wake();
    };
  }

  private wake(): void {
    while (this.waiters.length > 0) {
      const next = this.waiters[0] as Waiter;
      if (!this.fits(next.pixels, next.images)) return;
      this.waiters.shift();
      this.waitingImages -= next.images;
      clearTimeout(next.timer);
      next.start();
    }
  }

  private drop(waiter: Waiter, e: HeadstartError): void {
    const i = this.waiters.indexOf(waiter);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    this.waitingImages -= waiter.images;
    waiter.shed(e);
    this.wake();
  }

  private waitingPixels(): number {
    return this.waiters.reduce((s, w) => s + w.pixels, 0);
  }

  private observe(pixels: number, ms: number): void {
    if (pixels <= 0 || ms <= 0) return;
    // Concurrent decodes share the cores: throughput per decode is measured, scaled by the slots in use.
    const rate = (pixels / ms) * Math.max(1, this.inflightImages + 1);
    this.pixelsPerMs = this.pixelsPerMs === undefined ? rate : 0.8 * this.pixelsPerMs + 0.2 * rate;
  }

  private estimateMs(pixels: number): number {
    return this.pixelsPerMs === undefined ? 0 : pixels / this.pixelsPerMs;
  }

  private retryAfterS(pixels: number): number {
    return Math.max(1, Math.ceil(this.estimateMs(this.inflightPixels + this.waitingPixels() + pixels) / 1000));
  }
}
