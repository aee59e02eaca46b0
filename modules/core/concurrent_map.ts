/**
 * Order-preserving concurrent map with a bounded number of calls in flight.
 * @module
 */

/** What the mapping function is told besides the item. */
export interface MapContext {
  /** 0-based position of the item in the input stream. */
  index: number;
  /** Aborted when the stream fails, is cancelled, or the caller's signal fires: stop work early. */
  signal: AbortSignal;
}

/** Options for {@link ConcurrentMapStream}. */
export interface ConcurrentMapOptions {
  /** Most calls of the mapping function running at once (≥ 1). */
  concurrency: number;
  /** Cancels the stream (with the signal's reason) and tells running calls to stop. */
  signal?: AbortSignal;
}

/**
 * Applies an async function to every item, running up to `concurrency` calls at once, and emits results in input
 * order. It accepts a new item only when fewer than `concurrency` calls are pending, so a slow consumer slows the
 * source (backpressure), and memory is bounded by `concurrency` items.
 *
 * @example
 * ```ts
 * const doubled = ReadableStream.from([1, 2, 3])
 *   .pipeThrough(new ConcurrentMapStream(async (x: number) => x * 2, { concurrency: 2 }));
 * await Array.fromAsync(doubled); // [2, 4, 6]
 * ```
 */
export class ConcurrentMapStream<I, O> extends TransformStream<I, O> {
  constructor(fn: (item: I, context: MapContext) => O | Promise<O>, { concurrency, signal }: ConcurrentMapOptions) {
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
      throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    }
    const stop = new AbortController();
    const combined = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
    const pending: Promise<O>[] = [];
    let index = 0;

    const settleOldest = async (controller: TransformStreamDefaultController<O>) => {
      try {
        controller.enqueue(await pending.shift()!);
      } catch (error) {
        stop.abort(error);
        throw error;
      }
    };

    super({
      async transform(item, controller) {
        combined.throwIfAborted();
        const result = Promise.resolve().then(() => fn(item, { index: index++, signal: combined }));
        result.catch(() => {}); // rejections are reported when this result's turn comes, not as unhandled
        pending.push(result);
        if (pending.length >= concurrency) await settleOldest(controller);
      },
      async flush(controller) {
        while (pending.length > 0) await settleOldest(controller);
      },
      cancel(reason) {
        stop.abort(reason);
      },
    });
  }
}
