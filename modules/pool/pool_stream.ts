/**
 * pool as a stream stage: feature batches in, pooled batches out, every requested pooling in one pass.
 * @module
 */
import type { FeatureBatch } from "@saeflow/sae";
import { namePools, type PooledBatch, poolFeatureBatch } from "./pool_batch.ts";
import type { PoolSpec } from "./pool_spec.ts";

/** Options of {@link PoolStream}. */
export interface PoolStreamOptions {
  /** The poolings to compute; each becomes a key {@link describePool} names. */
  pools: readonly PoolSpec[];
}

/**
 * Pools each {@link FeatureBatch} with every spec, for every SAE in it. One batch in flight on each side, so memory
 * stays bounded by a batch whatever the dataset size. Specs are checked when the stream is built.
 *
 * @example
 * ```ts
 * const pooled = features.pipeThrough(new PoolStream({ pools: [{ strategy: "sum" }, { strategy: "topn-count", n: 5 }] }));
 * for await (const { records, pooled: bySae } of pooled) console.log(records.length, [...bySae.get("l12-16k")!.keys()]);
 * ```
 */
export class PoolStream extends TransformStream<FeatureBatch, PooledBatch> {
  /** The pool names, in the order given: the keys of each SAE's map in every {@link PooledBatch}. */
  readonly poolNames: readonly string[];

  constructor({ pools }: PoolStreamOptions) {
    const named = namePools(pools);
    super(
      {
        transform(batch, controller) {
          controller.enqueue(poolFeatureBatch(batch, named));
        },
      },
      new CountQueuingStrategy({ highWaterMark: 1 }),
      new CountQueuingStrategy({ highWaterMark: 1 }),
    );
    this.poolNames = [...named.keys()];
  }
}
