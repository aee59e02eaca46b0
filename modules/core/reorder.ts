/**
 * Restores stream order after a stage that reordered items (length bucketing, out-of-order workers).
 * @module
 */

/** Options for {@link ReorderStream}. */
export interface ReorderOptions<T> {
  /** The item's position in the original stream (0, 1, 2, ... with no gaps). */
  indexOf: (item: T) => number;
  /** First index expected (default 0; a resumed run starts later). */
  start?: number;
  /** Items held while waiting for a gap to fill; exceeding it is a bug upstream, reported rather than eating memory. */
  maxBuffered?: number;
}

/**
 * Emits items in index order, holding early arrivals until the gap before them fills.
 *
 * @example
 * ```ts
 * const items = [{ i: 1 }, { i: 0 }, { i: 2 }];
 * await Array.fromAsync(ReadableStream.from(items).pipeThrough(new ReorderStream({ indexOf: (x) => x.i })));
 * // [{ i: 0 }, { i: 1 }, { i: 2 }]
 * ```
 */
export class ReorderStream<T> extends TransformStream<T, T> {
  constructor({ indexOf, start = 0, maxBuffered = 1 << 20 }: ReorderOptions<T>) {
    const held = new Map<number, T>();
    let next = start;
    super({
      transform(item, controller) {
        const index = indexOf(item);
        if (!Number.isInteger(index) || index < next || held.has(index)) {
          throw new RangeError(`ReorderStream: index ${index} is duplicated or below the next expected index ${next}`);
        }
        held.set(index, item);
        if (held.size > maxBuffered) {
          throw new RangeError(
            `ReorderStream: ${held.size} items held waiting for index ${next} (maxBuffered ${maxBuffered})`,
          );
        }
        while (held.has(next)) {
          controller.enqueue(held.get(next)!);
          held.delete(next++);
        }
      },
      flush() {
        if (held.size > 0) {
          throw new RangeError(
            `ReorderStream: stream ended while waiting for index ${next}; ${held.size} items never emitted`,
          );
        }
      },
    });
  }
}
