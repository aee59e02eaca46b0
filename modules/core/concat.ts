/**
 * Streams each part in turn, opening the next only when the previous is exhausted (so a multi-file dataset holds
 * one file open at a time). Parts come from an async iterable, so they can be created lazily. Cancelling the result
 * cancels the open part and stops the iteration.
 *
 * @example
 * ```ts
 * async function* parts() { yield ReadableStream.from([1, 2]); yield ReadableStream.from([3]); }
 * await Array.fromAsync(concatStreams(parts())); // [1, 2, 3]
 * ```
 */
export function concatStreams<T>(
  parts: AsyncIterable<ReadableStream<T>> | Iterable<ReadableStream<T>>,
): ReadableStream<T> {
  const iterator = Symbol.asyncIterator in parts ? parts[Symbol.asyncIterator]() : parts[Symbol.iterator]();
  let current: ReadableStreamDefaultReader<T> | undefined;
  return new ReadableStream<T>({
    async pull(controller) {
      while (true) {
        if (!current) {
          const next = await iterator.next();
          if (next.done) return controller.close();
          current = next.value.getReader();
        }
        const { done, value } = await current.read();
        if (!done) return controller.enqueue(value);
        current = undefined;
      }
    },
    async cancel(reason) {
      await current?.cancel(reason);
      await iterator.return?.();
    },
  }, { highWaterMark: 0 });
}
