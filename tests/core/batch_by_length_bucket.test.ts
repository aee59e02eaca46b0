/** BatchByLengthStream's `lengthBucket`: items whose lengths round up to different multiples never share a batch. */
import assert from "node:assert/strict";
import { type BatchByLengthOptions, BatchByLengthStream } from "@saeflow/core";
import { mulberry32 } from "../random.ts";

const batchesOf = (lengths: number[], options: Omit<BatchByLengthOptions<number>, "lengthOf">) =>
  Array.fromAsync(
    ReadableStream.from(lengths).pipeThrough(new BatchByLengthStream({ ...options, lengthOf: (n) => n })),
  );

Deno.test("lengthBucket: hand-worked batches, cut at bucket edges as well as at batchSize", async () => {
  // ceil(len / 8): 1, 2, 8 → 1; 9, 16 → 2; 17 → 3
  const lengths = [17, 9, 2, 16, 8, 1];
  assert.deepEqual(await batchesOf(lengths, { batchSize: 10, lengthBucket: 8 }), [[1, 2, 8], [9, 16], [17]]);
  assert.deepEqual(await batchesOf(lengths, { batchSize: 2, lengthBucket: 8 }), [[1, 2], [8], [9, 16], [17]]);
  // without the option the same items share one batch (sorted by length)
  assert.deepEqual(await batchesOf(lengths, { batchSize: 10 }), [[1, 2, 8, 9, 16, 17]]);
  assert.deepEqual(await batchesOf(lengths, { batchSize: 2 }), [[1, 2], [8, 9], [16, 17]]);
  // lengthBucket 1: only equal lengths share a batch
  assert.deepEqual(await batchesOf([3, 1, 3, 2, 1, 3], { batchSize: 10, lengthBucket: 1 }), [[1, 1], [2], [3, 3, 3]]);
});

Deno.test("lengthBucket: on random lengths no batch mixes buckets, and every item comes out once", async () => {
  const random = mulberry32(5);
  const lengths = Array.from({ length: 2000 }, () => 1 + Math.floor(random() * 130));
  for (const lengthBucket of [1, 4, 8, 32]) {
    for (const batchSize of [1, 5, 16]) {
      const batches = await batchesOf(lengths, { batchSize, lengthBucket });
      for (const batch of batches) {
        assert.ok(batch.length >= 1 && batch.length <= batchSize);
        const buckets = new Set(batch.map((n) => Math.ceil(n / lengthBucket)));
        assert.equal(buckets.size, 1, `bucket ${lengthBucket}, batch size ${batchSize}: mixed batch ${batch}`);
      }
      assert.deepEqual(batches.flat().sort((a, b) => a - b), [...lengths].sort((a, b) => a - b));
    }
  }
});

Deno.test("lengthBucket: works together with maxBatchTokens and small windows", async () => {
  const random = mulberry32(9);
  const lengths = Array.from({ length: 500 }, () => 1 + Math.floor(random() * 64));
  const batches = await batchesOf(lengths, { batchSize: 16, lengthBucket: 16, maxBatchTokens: 200, windowSize: 20 });
  for (const batch of batches) {
    assert.equal(new Set(batch.map((n) => Math.ceil(n / 16))).size, 1, `mixed batch ${batch}`);
    assert.ok(batch.length === 1 || batch.length * Math.max(...batch) <= 200, `over maxBatchTokens: ${batch}`);
  }
  assert.equal(batches.flat().length, lengths.length);
});

Deno.test("without lengthBucket, mixed lengths still share batches", async () => {
  const random = mulberry32(5);
  const lengths = Array.from({ length: 2000 }, () => 1 + Math.floor(random() * 130));
  const batches = await batchesOf(lengths, { batchSize: 16 });
  const mixed = batches.filter((b) => new Set(b.map((n) => Math.ceil(n / 8))).size > 1);
  assert.ok(mixed.length > 0, "no batch mixes lengths from different multiples of 8");
  // and the same with lengthBucket given as undefined
  assert.deepEqual(await batchesOf(lengths, { batchSize: 16, lengthBucket: undefined }), batches);
});

Deno.test("lengthBucket must be a positive integer (RangeError)", () => {
  for (const lengthBucket of [0, 1.5, -8, NaN]) {
    assert.throws(
      () => new BatchByLengthStream({ batchSize: 4, lengthOf: (n: number) => n, lengthBucket }),
      (e) => e instanceof RangeError && /lengthBucket must be a positive integer/.test(e.message),
      String(lengthBucket),
    );
  }
});
