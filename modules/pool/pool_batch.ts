/**
 * Pooling a whole feature batch: every SAE's features, every requested pooling, every record, in one pass.
 * @module
 */
import { ConfigError, DataError, type TextRecord } from "@saeflow/core";
import { type FeatureBatch, recordRowOffsets } from "@saeflow/sae";
import { type PooledVector, poolRecord } from "./pool_record.ts";
import { describePool, type PoolSpec } from "./pool_spec.ts";

/** One batch's pooled features, records in batch order. */
export interface PooledBatch {
  /** The batch's records, in row order. */
  records: TextRecord[];
  /** SAE id -> pool name ({@link describePool}) -> one vector per record, in `records` order. */
  pooled: Map<string, Map<string, PooledVector[]>>;
}

/**
 * Names the specs by {@link describePool} (validating each). Two specs with the same name would overwrite each
 * other's column, so that is a ConfigError.
 *
 * @example
 * ```ts
 * namePools([{ strategy: "sum" }, { strategy: "topn-count", n: 5 }]); // Map { "sum[mask=no-bos]" => ..., "topn-count(n=5)[mask=no-bos]" => ... }
 * ```
 */
export function namePools(specs: readonly PoolSpec[]): Map<string, PoolSpec> {
  if (specs.length === 0) throw new ConfigError("no pooling requested; give at least one pool spec");
  const named = new Map<string, PoolSpec>();
  for (const spec of specs) {
    const name = describePool(spec);
    if (named.has(name)) throw new ConfigError(`pool ${name} is requested twice`);
    named.set(name, spec);
  }
  return named;
}

/**
 * Pools every record of `batch` with every spec, for every SAE in it. A feature matrix whose row count is not the
 * batch's real-token count is a DataError naming the SAE (rows would be attributed to the wrong records).
 *
 * @example
 * ```ts
 * const { pooled } = poolFeatureBatch(batch, [{ strategy: "sum" }, { strategy: "max" }]);
 * pooled.get("l12-16k")!.get("sum[mask=no-bos]")![0]; // record 0's summed features
 * ```
 */
export function poolFeatureBatch(batch: FeatureBatch, specs: readonly PoolSpec[] | Map<string, PoolSpec>): PooledBatch {
  const named = specs instanceof Map ? specs : namePools(specs);
  const { tokens } = batch;
  const offsets = recordRowOffsets(tokens);
  const realTokens = offsets[tokens.batchSize];
  const pooled = new Map<string, Map<string, PooledVector[]>>();
  for (const [saeId, features] of batch.features) {
    if (features.rows !== realTokens) {
      throw new DataError(
        `features of SAE ${saeId}`,
        { id: tokens.records[0]?.id },
        `${features.rows} rows for a batch of ${tokens.batchSize} records with ${realTokens} real tokens`,
        "one row per real token",
      );
    }
    const bySpec = new Map<string, PooledVector[]>();
    for (const [name, spec] of named) {
      const vectors: PooledVector[] = [];
      for (let b = 0; b < tokens.batchSize; b++) {
        vectors.push(poolRecord(features, offsets[b], offsets[b + 1], spec, tokens));
      }
      bySpec.set(name, vectors);
    }
    pooled.set(saeId, bySpec);
  }
  return { records: tokens.records, pooled };
}

/**
 * One SAE's vectors under one pooling, with their records: the shape the binarize stage takes (`{vectors}`). An
 * unknown SAE id or pool name is a ConfigError listing what the batch has.
 *
 * @example
 * ```ts
 * const indexSets = pooled.pipeThrough(new TransformStream({ transform: (b, c) => c.enqueue(pooledColumn(b, "l2", "sum[mask=no-bos]")) }))
 *   .pipeThrough(new BinarizeStream({ outputs: [{ spec: { rule: "gt", threshold: 1 } }] }));
 * ```
 */
export function pooledColumn(
  batch: PooledBatch,
  saeId: string,
  poolName: string,
): { records: TextRecord[]; vectors: PooledVector[] } {
  const pools = batch.pooled.get(saeId);
  if (!pools) {
    throw new ConfigError(`no SAE "${saeId}" in the pooled batch; it has ${[...batch.pooled.keys()].join(", ")}`);
  }
  const vectors = pools.get(poolName);
  if (!vectors) {
    throw new ConfigError(`no pooling "${poolName}" for SAE "${saeId}"; it has ${[...pools.keys()].join(", ")}`);
  }
  return { records: batch.records, vectors };
}
