/**
 * `@saeflow/core`: the record types, typed errors, configuration hashing and the Web Streams spine
 * (batching, concurrency, tee, ordering, progress, cancellation) that every saeflow stage is built on.
 *
 * @example
 * ```ts
 * import { BatchByLengthStream, UnbatchStream } from "@saeflow/core";
 * const lengths = ReadableStream.from(["a", "bbb", "cc"])
 *   .pipeThrough(new BatchByLengthStream({ batchSize: 2, lengthOf: (s: string) => s.length }))
 *   .pipeThrough(new UnbatchStream());
 * ```
 * @module
 */
export type { ImageRecord, TextRecord } from "./records.ts";
export { ConfigError, DataError, type DataLocation, SaeflowError } from "./errors.ts";
export { SAEFLOW_VERSION } from "./version.ts";
export { canonicalJson, configHash } from "./config_hash.ts";
export { type BatchByLengthOptions, BatchByLengthStream } from "./batch_by_length.ts";
export { UnbatchStream } from "./unbatch.ts";
export { type ReorderOptions, ReorderStream } from "./reorder.ts";
export { SkipStream, TakeStream } from "./skip_take.ts";
export { mulberry32, standardNormal } from "./random.ts";
export { type ConcurrentMapOptions, ConcurrentMapStream, type MapContext } from "./concurrent_map.ts";
export { teeWithBackpressure } from "./tee.ts";
export { abortable } from "./abortable.ts";
export { concatStreams } from "./concat.ts";
export { type ResourceSource, resourceStream } from "./resource_stream.ts";
export {
  type ProgressMode,
  type ProgressOptions,
  ProgressReporter,
  type ProgressSnapshot,
  ProgressStream,
} from "./progress.ts";
