import { resourceStream } from "./resource_stream.ts";

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
  let stopped = false;
  return resourceStream<T>({
    async next(enqueue) {
      while (true) {
        if (!current) {
          const part = await iterator.next();
          if (part.done) return false;
          if (stopped) { // cancelled while the part was being opened: close it unread
            await part.value.cancel();
            return false;
          }
          current = part.value.getReader();
        }
        const { done, value } = await current.read();
        if (!done) {
          enqueue(value);
          return true;
        }
        current = undefined;
      }
    },
    async release(reason) {
      stopped = true;
      await current?.cancel(reason);
      await iterator.return?.();
    },
  });
}
