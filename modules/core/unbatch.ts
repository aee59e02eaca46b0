/**
 * Flattens batches back into single items.
 *
 * @example
 * ```ts
 * await Array.fromAsync(ReadableStream.from([[1, 2], [], [3]]).pipeThrough(new UnbatchStream<number>())); // [1, 2, 3]
 * ```
 */
export class UnbatchStream<T> extends TransformStream<Iterable<T>, T> {
  constructor() {
    super({
      transform(batch, controller) {
        for (const item of batch) controller.enqueue(item);
      },
    });
  }
}
