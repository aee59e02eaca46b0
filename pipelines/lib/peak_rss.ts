/**
 * The largest resident set size a task reached, sampled on a timer: what `_extract.json` and `_train.json` report
 * as peak RSS.
 * @module
 */

/** Samples RSS every `intervalMs` until {@link stop}; {@link mebibytes} is the peak so far, now included. */
export class PeakRss {
  #peak = Deno.memoryUsage().rss;
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(intervalMs: number) {
    this.#timer = setInterval(() => (this.#peak = Math.max(this.#peak, Deno.memoryUsage().rss)), intervalMs);
  }

  /** The peak in MiB, counting the present moment. */
  mebibytes(): number {
    this.#peak = Math.max(this.#peak, Deno.memoryUsage().rss);
    return this.#peak / 2 ** 20;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
