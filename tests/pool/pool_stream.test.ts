/**
 * PoolStream and poolFeatureBatch: every SAE x pooling in one pass, records found at the right row offsets, a
 * two-batch stream, and a row-count mismatch named.
 */
import assert from "node:assert/strict";
import { ConfigError, DataError } from "@saeflow/core";
import { type FeatureBatch, recordRowOffsets } from "@saeflow/sae";
import { namePools, type PooledBatch, poolFeatureBatch, poolRecord, type PoolSpec, PoolStream } from "@saeflow/pool";
import { dense, densify, featureBatch, type Token } from "./fixtures.ts";
import { naivePool } from "./reference/naive_pool.ts";

const SPECS: PoolSpec[] = [
  { strategy: "sum" },
  { strategy: "topn-count", n: 2 },
  { strategy: "topn-count", n: 2, mosaicCompat: true },
  { strategy: "mean", includeBos: true },
  { strategy: "max" },
  { strategy: "last" },
  { strategy: "first-k", k: 2 },
  { strategy: "last-k", k: 2 },
];

const BATCH_1: Token[][] = [
  [[[0, 9]], [[1, 2], [3, 1]], [[4, 0.5], [1, 0.5]]],
  [[[0, 9]]], // BOS only
  [[[0, 9]], [[2, 3]]],
];
const BATCH_2: Token[][] = [
  [[[0, 9]], [], [[5, 1], [6, 2]], [[6, 1]], [[7, 4]]],
  [[[0, 9]], [[3, 3], [2, 3], [1, 3]]],
];

/** Checks every record of a pooled batch against the dense reference, record by record. */
function assertBatch(got: PooledBatch, records: Token[][], saes: Record<string, number>, prefix: string) {
  assert.deepEqual(got.records.map((r) => r.id), records.map((_, b) => `${prefix}${b}`));
  assert.deepEqual([...got.pooled.keys()], Object.keys(saes));
  for (const [saeId, dSae] of Object.entries(saes)) {
    const bySpec = got.pooled.get(saeId)!;
    assert.deepEqual([...bySpec.keys()], [...namePools(SPECS).keys()]);
    SPECS.forEach((spec, i) => {
      const vectors = [...bySpec.values()][i];
      assert.equal(vectors.length, records.length);
      records.forEach((tokens, b) => {
        const want = naivePool(dense(tokens, dSae), dSae, spec, true);
        assert.deepEqual(
          densify(vectors[b], dSae),
          want.dense.map(Math.fround),
          `${saeId} ${spec.strategy} record ${b}`,
        );
        assert.equal(vectors[b].tokensPooled, want.tokens);
      });
    });
  }
}

Deno.test("poolFeatureBatch pools every record at its row offsets, for every SAE and spec", () => {
  const saes = { "sae-a": 8, "sae-b": 12 };
  const batch = featureBatch(BATCH_1, saes, true);
  assert.deepEqual([...recordRowOffsets(batch.tokens)], [0, 3, 4, 6]);
  const got = poolFeatureBatch(batch, SPECS);
  assertBatch(got, BATCH_1, saes, "r");
  // Hand-computed: record 2's sum is its second token; the BOS-only record is empty.
  const sums = got.pooled.get("sae-a")!.get("sum[mask=no-bos]")!;
  assert.deepEqual([[...sums[2].indices], [...sums[2].values]], [[2], [3]]);
  assert.deepEqual([sums[1].indices.length, sums[1].tokensPooled], [0, 0]);
  assert.deepEqual(sums[0], poolRecord(batch.features.get("sae-a")!, 0, 3, { strategy: "sum" }, { hasBos: true }));
});

Deno.test("PoolStream over a two-batch input emits one pooled batch per feature batch", async () => {
  const saes = { "sae-a": 8 };
  const input: FeatureBatch[] = [featureBatch(BATCH_1, saes, true, "a"), featureBatch(BATCH_2, saes, true, "b")];
  const stream = new PoolStream({ pools: SPECS });
  assert.deepEqual(stream.poolNames, [
    "sum[mask=no-bos]",
    "topn-count(n=2)[mask=no-bos]",
    "topn-count(n=2)[mosaic-compat]",
    "mean[mask=bos]",
    "max[mask=no-bos]",
    "last[mask=no-bos]",
    "first-k(k=2)[mask=no-bos]",
    "last-k(k=2)[mask=no-bos]",
  ]);
  const out = await Array.fromAsync(ReadableStream.from(input).pipeThrough(stream));
  assert.equal(out.length, 2);
  assertBatch(out[0], BATCH_1, saes, "a");
  assertBatch(out[1], BATCH_2, saes, "b");
  // Hand-computed, batch 2 record 0 (BOS, [], {5:1,6:2}, {6:1}, {7:4}): last-k(2) = {6:1, 7:4}; first-k(2) = {5:1, 6:2}.
  const pooled = out[1].pooled.get("sae-a")!;
  const lastK = pooled.get("last-k(k=2)[mask=no-bos]")![0];
  assert.deepEqual([[...lastK.indices], [...lastK.values]], [[6, 7], [1, 4]]);
  const firstK = pooled.get("first-k(k=2)[mask=no-bos]")![0];
  assert.deepEqual([[...firstK.indices], [...firstK.values], firstK.tokensPooled], [[5, 6], [1, 2], 2]);
  // topn-count(n=2): the all-tied token picks 1 and 2. mosaic-compat: BOS -> 0, 1; [] -> 0, 1; {5, 6} -> 6, 5;
  // {6} -> 6, 0; {7} -> 7, 0.
  const top = pooled.get("topn-count(n=2)[mask=no-bos]")![1];
  assert.deepEqual([[...top.indices], [...top.values]], [[1, 2], [1, 1]]);
  const compat = pooled.get("topn-count(n=2)[mosaic-compat]")![0];
  assert.deepEqual([[...compat.indices], [...compat.values]], [[0, 1, 5, 6, 7], [4, 2, 1, 2, 1]]);
});

Deno.test("PoolStream refuses no specs, duplicate names and bad specs at construction", () => {
  assert.throws(() => new PoolStream({ pools: [] }), ConfigError);
  assert.throws(
    () => new PoolStream({ pools: [{ strategy: "sum" }, { strategy: "sum", includeBos: false }] }),
    /requested twice/,
  );
  assert.throws(() => new PoolStream({ pools: [{ strategy: "topn-count" }] }), ConfigError);
});

Deno.test("a feature matrix whose rows do not match the batch's real tokens is a DataError naming the SAE", () => {
  const batch = featureBatch(BATCH_1, { "sae-a": 8 }, true);
  batch.tokens.lengths[2] = 3; // claims one more real token than the features have
  assert.throws(() => poolFeatureBatch(batch, SPECS), (e) => e instanceof DataError && /sae-a/.test(e.message));
});
