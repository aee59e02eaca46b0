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
 * Applies an async function to every item, running up to `concurrency` calls at once, and emits each result as soon
 * as it is the next in input order (a slow or bursty source does not hold finished results back). A new item is
 * accepted only while fewer than `concurrency` calls are pending, so a slow consumer slows the source
 * (backpressure) and memory is bounded by `concurrency` items. The first failure stops new calls at once and
 * errors the stream.
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
    let slotFreed: (() => void) | undefined;
    let emitting: Promise<void> | undefined;

    // Emits results in order while there are any; runs beside `transform`, which only waits for a free slot.
    const emit = async (controller: TransformStreamDefaultController<O>) => {
      try {
        while (pending.length > 0) {
          controller.enqueue(await pending[0]);
          pending.shift();
          slotFreed?.();
        }
      } catch (error) {
        stop.abort(error);
        controller.error(error);
      } finally {
        emitting = undefined;
        slotFreed?.();
      }
    };

    super({
      async transform(item, controller) {
        while (pending.length >= concurrency && !combined.aborted) {
          await new Promise<void>((resolve) => (slotFreed = resolve));
        }
        combined.throwIfAborted();
        const result = Promise.resolve().then(() => fn(item, { index: index++, signal: combined }));
        result.catch((error) => stop.abort(error)); // stop starting new calls at the first failure
        pending.push(result);
        emitting ??= emit(controller);
      },
      async flush() {
        while (emitting) await emitting;
        combined.throwIfAborted();
      },
      cancel(reason) {
        stop.abort(reason);
      },
    });
  }
}
