/**
 * A readable stream over a resource (file handles, readers, wasm objects) that must be released exactly once:
 * when the stream is exhausted, when it is cancelled, and when producing an item fails.
 * @module
 */

/** How to produce items and how to release what produces them. */
export interface ResourceSource<T> {
  /** Enqueues the next item(s); resolves false when the resource is exhausted. A rejection errors the stream. */
  next(enqueue: (item: T) => void): Promise<boolean> | boolean;
  /** Frees the resource; `reason` is the cancel reason or the failure, undefined at the normal end. */
  release(reason?: unknown): unknown;
}

/**
 * @example
 * ```ts
 * const reader = (await Deno.open("a.txt")).readable.getReader();
 * const chunks = resourceStream<Uint8Array>({
 *   next: async (enqueue) => { const { done, value } = await reader.read(); if (!done) enqueue(value); return !done; },
 *   release: (reason) => reader.cancel(reason),
 * });
 * ```
 */
export function resourceStream<T>({ next, release }: ResourceSource<T>): ReadableStream<T> {
  let released = false;
  const releaseOnce = async (reason?: unknown) => {
    if (released) return;
    released = true;
    await release(reason);
  };
  return new ReadableStream<T>({
    async pull(controller) {
      let more: boolean;
      try {
        more = await next((item) => controller.enqueue(item));
      } catch (error) {
        await Promise.resolve(releaseOnce(error)).catch(() => {}); // the failure is what the reader must see
        throw error;
      }
      if (!more) {
        await releaseOnce();
        controller.close();
      }
    },
    cancel: (reason) => releaseOnce(reason),
  }, { highWaterMark: 0 });
}
