/**
 * A tee whose branches share backpressure: the source is read only as fast as the slowest branch reads.
 * (`ReadableStream.prototype.tee` buffers without bound for the slower branch.)
 * @module
 */

/**
 * Splits `source` into `count` branches that each see every chunk. A chunk is read from the source only once every
 * live branch has asked for one, so no branch runs more than one chunk ahead of the slowest. Cancelling a branch
 * detaches it; cancelling all of them cancels the source. Chunks are shared, not copied: do not mutate them.
 *
 * @example
 * ```ts
 * const [a, b] = teeWithBackpressure(ReadableStream.from([1, 2, 3]));
 * const [left, right] = await Promise.all([Array.fromAsync(a), Array.fromAsync(b)]); // [1,2,3] twice
 * ```
 */
export function teeWithBackpressure<T>(source: ReadableStream<T>, count = 2): ReadableStream<T>[] {
  if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`count must be a positive integer, got ${count}`);
  const reader = source.getReader();
  const controllers: ReadableStreamDefaultController<T>[] = [];
  const live = new Array<boolean>(count).fill(true);
  const waiting = new Map<number, () => void>();
  let reading = false;
  let finished = false;

  const pump = async () => {
    const liveCount = live.filter(Boolean).length;
    if (reading || finished || liveCount === 0 || waiting.size < liveCount) return;
    reading = true;
    try {
      const { done, value } = await reader.read();
      if (done) finished = true;
      for (let i = 0; i < count; i++) {
        if (!live[i]) continue;
        if (done) controllers[i].close();
        else controllers[i].enqueue(value);
      }
    } catch (error) {
      finished = true;
      for (let i = 0; i < count; i++) if (live[i]) controllers[i].error(error);
    } finally {
      reading = false;
      const resolvers = [...waiting.values()];
      waiting.clear();
      for (const resolve of resolvers) resolve();
    }
  };

  return Array.from({ length: count }, (_, i) =>
    new ReadableStream<T>({
      start(controller) {
        controllers[i] = controller;
      },
      pull() {
        return new Promise<void>((resolve) => {
          waiting.set(i, resolve);
          void pump();
        });
      },
      async cancel(reason) {
        live[i] = false;
        waiting.get(i)?.();
        waiting.delete(i);
        if (live.every((alive) => !alive)) await reader.cancel(reason);
        else void pump();
      },
    }, { highWaterMark: 0 }));
}
