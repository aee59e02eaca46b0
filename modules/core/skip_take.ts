/**
 * Dropping a prefix (resume after the shards already written) and taking a prefix (`--limit`).
 * @module
 */

/**
 * Drops the first `count` items.
 *
 * @example
 * ```ts
 * await Array.fromAsync(ReadableStream.from([1, 2, 3]).pipeThrough(new SkipStream(2))); // [3]
 * ```
 */
export class SkipStream<T> extends TransformStream<T, T> {
  constructor(count: number) {
    let left = count;
    super({
      transform(item, controller) {
        if (left > 0) left--;
        else controller.enqueue(item);
      },
    });
  }
}

/**
 * Passes the first `count` items, then closes its output and cancels its input (the source stops reading).
 *
 * @example
 * ```ts
 * await Array.fromAsync(ReadableStream.from([1, 2, 3]).pipeThrough(new TakeStream(2))); // [1, 2]
 * ```
 */
export class TakeStream<T> extends TransformStream<T, T> {
  constructor(count: number) {
    let left = count;
    super({
      start(controller) {
        if (left <= 0) controller.terminate();
      },
      transform(item, controller) {
        controller.enqueue(item);
        if (--left <= 0) controller.terminate();
      },
    });
  }
}
