/** Training batches by step: each epoch a seeded permutation of the rows, batches running across epoch ends. */
import assert from "node:assert/strict";
import { ConfigError } from "@saeflow/core";
import { epochOrder, type PackedSequences, ShuffledBatches } from "@saeflow/lm";

/** Row r holds [r, r] so a batch's rows can be read back. */
const rows = (count: number): PackedSequences => ({
  ids: Int32Array.from({ length: 2 * count }, (_, i) => Math.floor(i / 2)),
  count,
  seqLen: 2,
  dropped: 0,
});

Deno.test("epochOrder: a seeded permutation, another one each epoch and each seed", () => {
  const a = epochOrder(50, 7, 0);
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(epochOrder(50, 7, 0), a);
  assert.notDeepEqual(epochOrder(50, 7, 1), a);
  assert.notDeepEqual(epochOrder(50, 8, 0), a);
});

Deno.test("ShuffledBatches: every epoch visits each row once; a batch depends on its step alone", () => {
  const count = 10;
  const batches = new ShuffledBatches(rows(count), { batchSize: 4, seed: 3 });
  const seen: number[] = [];
  for (let step = 0; step < 5; step++) {
    const ids = batches.batch(step);
    for (let r = 0; r < 4; r++) {
      assert.equal(ids[2 * r], ids[2 * r + 1]);
      seen.push(ids[2 * r]);
    }
  }
  // 20 rows = two epochs; step 2 straddles the boundary
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  assert.deepEqual(sorted(seen.slice(0, 10)), Array.from({ length: 10 }, (_, i) => i));
  assert.deepEqual(sorted(seen.slice(10)), Array.from({ length: 10 }, (_, i) => i));
  assert.deepEqual(seen.slice(0, 10), [...epochOrder(count, 3, 0)]);
  assert.deepEqual(seen.slice(10), [...epochOrder(count, 3, 1)]);
  // random access (a resumed run) gives the same batch as the sequence did
  const fresh = new ShuffledBatches(rows(count), { batchSize: 4, seed: 3 });
  assert.deepEqual(fresh.batch(3), batches.batch(3));
  assert.deepEqual(fresh.batch(0), batches.batch(0));
  assert.equal(batches.epochOf(5), 2);
});

Deno.test("ShuffledBatches: errors", () => {
  assert.throws(() => new ShuffledBatches(rows(0), { batchSize: 4, seed: 0 }), ConfigError);
  assert.throws(() => new ShuffledBatches(rows(3), { batchSize: 0, seed: 0 }), ConfigError);
});
