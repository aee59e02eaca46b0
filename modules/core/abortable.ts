/**
 * Cancellation of any readable stream with an AbortSignal.
 * @module
 */

/**
 * Wraps `source` so that aborting `signal` errors the returned stream with the signal's reason and cancels the
 * source (which releases files and sockets upstream). Pipes can then also pass the same signal to `pipeTo`.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const stream = abortable(ReadableStream.from([1, 2, 3]), controller.signal);
 * controller.abort(new Error("user pressed Ctrl-C"));
 * await Array.fromAsync(stream); // throws Error("user pressed Ctrl-C")
 * ```
 */
export function abortable<T>(source: ReadableStream<T>, signal: AbortSignal): ReadableStream<T> {
  const reader = source.getReader();
  let onAbort: () => void = () => {};
  const detach = () => signal.removeEventListener("abort", onAbort);
  return new ReadableStream<T>({
    start(controller) {
      onAbort = () => {
        detach();
        controller.error(signal.reason);
        reader.cancel(signal.reason).catch(() => {});
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    },
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (signal.aborted) return;
        if (done) {
          detach();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        detach();
        if (!signal.aborted) controller.error(error);
      }
    },
    cancel(reason) {
      detach();
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
