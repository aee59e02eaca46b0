import assert from "node:assert/strict";
import { BatchByLengthStream, ReorderStream, UnbatchStream } from "@saeflow/core";

const words = (n: number, seed = 7) => {
  let s = seed;
  return Array.from({ length: n }, (_, i) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return { i, len: 1 + (s % 50) };
  });
};

Deno.test("batches never exceed batchSize and keep every item exactly once", async () => {
  const items = words(1000);
  const batches = await Array.fromAsync(
    ReadableStream.from(items).pipeThrough(new BatchByLengthStream({ batchSize: 8, lengthOf: (w) => w.len })),
  );
  assert.ok(batches.every((b) => b.length >= 1 && b.length <= 8));
  assert.deepEqual(batches.flat().map((w) => w.i).sort((a, b) => a - b), items.map((w) => w.i));
});

Deno.test("sorting inside a window cuts padding versus arrival order", async () => {
  const items = words(1024);
  const padded = (batches: { len: number }[][]) =>
    batches.reduce((sum, b) => sum + b.length * Math.max(...b.map((w) => w.len)), 0);
  const bucketed = await Array.fromAsync(
    ReadableStream.from(items).pipeThrough(new BatchByLengthStream({ batchSize: 16, lengthOf: (w) => w.len })),
  );
  const naive = Array.from({ length: 64 }, (_, k) => items.slice(k * 16, k * 16 + 16));
  const real = items.reduce((sum, w) => sum + w.len, 0);
  assert.ok(padded(bucketed) < padded(naive), `${padded(bucketed)} !< ${padded(naive)}`);
  assert.ok(padded(bucketed) / real < 1.15, `padding overhead ${padded(bucketed) / real}`);
});

Deno.test("maxBatchTokens caps items × longest item, and an oversized item forms its own batch", async () => {
  const lens = [3, 3, 3, 3, 10, 50, 4, 4];
  const batches = await Array.fromAsync(
    ReadableStream.from(lens).pipeThrough(
      new BatchByLengthStream({ batchSize: 100, maxBatchTokens: 12, lengthOf: (n: number) => n }),
    ),
  );
  assert.deepEqual(batches, [[3, 3, 3, 3], [4, 4], [10], [50]]);
});

Deno.test("equal lengths keep arrival order (stable), windows are emitted in order", async () => {
  const items = Array.from({ length: 10 }, (_, i) => ({ i, len: i < 5 ? 2 : 1 }));
  const batches = await Array.fromAsync(
    ReadableStream.from(items).pipeThrough(
      new BatchByLengthStream({ batchSize: 3, windowSize: 5, lengthOf: (w) => w.len }),
    ),
  );
  assert.deepEqual(batches.map((b) => b.map((w) => w.i)), [[0, 1, 2], [3, 4], [5, 6, 7], [8, 9]]);
});

Deno.test("batch → unbatch → reorder restores the original order", async () => {
  const items = words(777);
  const out = await Array.fromAsync(
    ReadableStream.from(items)
      .pipeThrough(new BatchByLengthStream({ batchSize: 10, windowSize: 100, lengthOf: (w) => w.len }))
      .pipeThrough(new UnbatchStream())
      .pipeThrough(new ReorderStream({ indexOf: (w) => w.i, maxBuffered: 100 })),
  );
  assert.deepEqual(out, items);
});

Deno.test("bad options are refused with the value named", () => {
  assert.throws(
    () => new BatchByLengthStream({ batchSize: 0, lengthOf: () => 1 }),
    /batchSize must be a positive integer, got 0/,
  );
  assert.throws(() => new BatchByLengthStream({ batchSize: 8, windowSize: 4, lengthOf: () => 1 }), /windowSize \(4\)/);
});
