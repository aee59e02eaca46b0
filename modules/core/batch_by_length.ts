/**
 * Length-bucketed batching: padding costs compute, so records of similar length should share a batch.
 * @module
 */

/** Options for {@link BatchByLengthStream}. */
export interface BatchByLengthOptions<T> {
  /** Most items in one batch. */
  batchSize: number;
  /** Length of an item, in tokens (or characters before tokenization). */
  lengthOf: (item: T) => number;
  /** Cap on `items × longest item` per batch (the padded size); a single longer item still forms a batch of one. */
  maxBatchTokens?: number;
  /**
   * How many items are gathered and sorted by length before batches are cut (default `batchSize × 16`).
   * Bigger windows pad less but hold more in memory and reorder the stream further: a consumer that needs the
   * original order restores it with {@link ReorderStream} within this many items.
   */
  windowSize?: number;
  /**
   * Items whose lengths round up to different multiples of this never share a batch, so each item's padded length
   * can be a function of its own length alone (see `TokenizeStream`'s `padMultiple`); default: no constraint.
   */
  lengthBucket?: number;
}

/**
 * Groups items into batches of similar length. Items are gathered into windows of `windowSize`, sorted by length
 * (stably, so equal lengths keep their order), and cut into batches limited by `batchSize` and `maxBatchTokens`.
 * Deterministic: the same input gives the same batches.
 *
 * @example
 * ```ts
 * const batches = ReadableStream.from(["aaa", "a", "aa", "aaaa"])
 *   .pipeThrough(new BatchByLengthStream({ batchSize: 2, lengthOf: (s: string) => s.length }));
 * await Array.fromAsync(batches); // [["a", "aa"], ["aaa", "aaaa"]]
 * ```
 */
export class BatchByLengthStream<T> extends TransformStream<T, T[]> {
  constructor(options: BatchByLengthOptions<T>) {
    const { batchSize, lengthOf, maxBatchTokens = Infinity, windowSize = batchSize * 16, lengthBucket } = options;
    if (!(Number.isInteger(batchSize) && batchSize > 0)) {
      throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    }
    if (!(windowSize >= batchSize)) {
      throw new RangeError(`windowSize (${windowSize}) must be at least batchSize (${batchSize})`);
    }
    if (lengthBucket !== undefined && !(Number.isInteger(lengthBucket) && lengthBucket > 0)) {
      throw new RangeError(`lengthBucket must be a positive integer, got ${lengthBucket}`);
    }
    const bucketOf = (length: number) => lengthBucket === undefined ? 0 : Math.ceil(length / lengthBucket);
    let window: { item: T; length: number }[] = [];

    const emitWindow = (controller: TransformStreamDefaultController<T[]>) => {
      window.sort((a, b) => a.length - b.length);
      let batch: T[] = [];
      let longest = 0;
      for (const { item, length } of window) {
        const padded = Math.max(longest, length) * (batch.length + 1);
        const full = batch.length === batchSize || padded > maxBatchTokens;
        if (batch.length > 0 && (full || bucketOf(length) !== bucketOf(longest))) {
          controller.enqueue(batch);
          batch = [];
          longest = 0;
        }
        batch.push(item);
        longest = Math.max(longest, length);
      }
      if (batch.length > 0) controller.enqueue(batch);
      window = [];
    };

    super({
      transform(item, controller) {
        window.push({ item, length: lengthOf(item) });
        if (window.length >= windowSize) emitWindow(controller);
      },
      flush(controller) {
        if (window.length > 0) emitWindow(controller);
      },
    });
  }
}
