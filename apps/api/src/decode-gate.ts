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

/**
 * Decode throughput assumed until the first decode is measured (pixels per ms): 20 MP/s, about
 * what one loaded core manages for decode + resize here. Only the first requests use it; the
 * measured rate replaces it after one decode.
 */
const PRIOR_PIXELS_PER_MS = 20_000;
/** A decode starts only if twice its estimated time still ends before the deadline: shedding (503, retry) beats decoding for a 504. */
const SAFETY = 2;

interface Waiter {
  pixels: number;
  images: number;
  deadlineAt: number;
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
  /** Pixels per ms of one decode (its own duration), exponentially averaged over measured decodes. */
  private perDecodeRate = PRIOR_PIXELS_PER_MS;
  /** Pixels per ms of all concurrent decodes together (how fast the queue drains). */
  private totalRate = PRIOR_PIXELS_PER_MS;
  private measured = false;

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
    const retryAfterS = this.retryAfterS(pixels);
    if (this.fits(pixels, images) && this.waiters.length === 0) {
      // Work that cannot finish before its deadline is refused now, not decoded and then dropped.
      if (performance.now() + SAFETY * this.estimateMs(pixels) > deadlineAt) return Promise.reject(this.busy(retryAfterS));
      return Promise.resolve(this.take(pixels, images));
    }
    if (this.waitingImages + images > this.opts.queueSize) {
      return Promise.reject(
        new HeadstartError('QUEUE_FULL', `decode queue is full (${this.waitingImages}/${this.opts.queueSize} images waiting); retry later`, { details: { retryAfterS } }),
      );
    }
    const latestStart = deadlineAt - SAFETY * this.estimateMs(pixels);
    const expectedStart = performance.now() + (this.inflightPixels + this.waitingPixels()) / this.totalRate;
    if (expectedStart > latestStart) return Promise.reject(this.busy(retryAfterS));
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        pixels,
        images,
        deadlineAt,
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
      if (performance.now() + SAFETY * this.estimateMs(next.pixels) > next.deadlineAt) next.shed(this.busy(this.retryAfterS(next.pixels)));
      else next.start();
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
    // Concurrent decodes share the cores: one decode's rate, times the decodes that ran beside it.
    const one = pixels / ms;
    const total = one * (this.inflightImages + 1);
    const a = this.measured ? 0.2 : 1;
    this.perDecodeRate = (1 - a) * this.perDecodeRate + a * one;
    this.totalRate = (1 - a) * this.totalRate + a * total;
    this.measured = true;
  }

  /** How long decoding `pixels` takes once started. */
  private estimateMs(pixels: number): number {
    return pixels / this.perDecodeRate;
  }

  private retryAfterS(pixels: number): number {
    return Math.max(1, Math.ceil((this.inflightPixels + this.waitingPixels() + pixels) / this.totalRate / 1000));
  }
}
