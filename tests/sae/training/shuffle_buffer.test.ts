/**
 * The shuffle buffer: batches are a permutation of the input rows, the same whatever the chunking and for the same
 * seed, uniform in their draws, drawn only from rows already seen within `capacity`, and emitted while the input is
 * still streaming, with the buffer never over capacity.
 */
import assert from "node:assert/strict";
import { ConfigError, DataError } from "@saeflow/core";
import type { RowBlock } from "@saeflow/sae";
import { type ShuffleBatchOptions, ShuffleBatchStream } from "@saeflow/sae";
import { mulberry32 } from "../../random.ts";
import { rowBlocks } from "./row_blocks.ts";

const D = 3;

/** Row i is [i*D, i*D + 1, …], so that each output row names the input row it came from. */
function rowsOf(n: number): Float32Array {
  return Float32Array.from({ length: n * D }, (_, i) => i);
}

const chunk = (rows: Float32Array, sizes: number[]): RowBlock[] => rowBlocks(rows, sizes, D);

/** Each batch as the input row indices it holds, checking that every row came out whole. */
function indices(batch: Float32Array): number[] {
  const out: number[] = [];
  for (let r = 0; r < batch.length / D; r++) {
    const i = batch[r * D] / D;
    assert.ok(Number.isInteger(i));
    for (let j = 0; j < D; j++) assert.equal(batch[r * D + j], i * D + j, "rows are copied whole");
    out.push(i);
  }
  return out;
}

async function shuffle(blocks: RowBlock[], options: Omit<ShuffleBatchOptions, "dIn">): Promise<number[][]> {
  const batches = await Array.fromAsync(
    ReadableStream.from(blocks).pipeThrough(new ShuffleBatchStream({ ...options, dIn: D })),
  );
  return batches.map(indices);
}

const OPTIONS = { batchSize: 8, capacity: 32, seed: 1 };

Deno.test("batches are a permutation of the input rows, drawn only from rows already seen", async () => {
  const batches = await shuffle(chunk(rowsOf(96), [96]), { ...OPTIONS, dropLast: false });
  assert.equal(batches.length, 12);
  for (const batch of batches) assert.equal(batch.length, 8);
  assert.deepEqual(batches.flat().sort((a, b) => a - b), Array.from({ length: 96 }, (_, i) => i));
  // Batch k is drawn once capacity + k * batchSize rows have come in, and only from them.
  for (const [k, batch] of batches.entries()) {
    assert.ok(Math.max(...batch) < Math.min(96, 32 + k * 8), `batch ${k} holds a row from the future`);
  }
  assert.notDeepEqual(batches[0], [0, 1, 2, 3, 4, 5, 6, 7], "the rows are shuffled");
});

Deno.test("the batches depend on the rows' order and the seed only, not on the chunking", async () => {
  const rows = rowsOf(200);
  const reference = await shuffle(chunk(rows, [200]), OPTIONS);
  assert.equal(reference.length, 25);
  for (const sizes of [[1], [7], [32], [33, 1, 64], [5, 100, 2]]) {
    assert.deepEqual(await shuffle(chunk(rows, sizes), OPTIONS), reference, `chunks of ${sizes}`);
  }
  assert.deepEqual(await shuffle(chunk(rows, [200]), OPTIONS), reference, "the same on a second run");
  assert.notDeepEqual(await shuffle(chunk(rows, [200]), { ...OPTIONS, seed: 2 }), reference, "another seed");
});

Deno.test("dropLast drops the final partial batch by default and keeps it, shuffled, on request", async () => {
  const dropped = await shuffle(chunk(rowsOf(100), [13]), OPTIONS);
  assert.equal(dropped.length, 12);
  assert.equal(new Set(dropped.flat()).size, 96);
  const kept = await shuffle(chunk(rowsOf(100), [13]), { ...OPTIONS, dropLast: false });
  assert.equal(kept.length, 13);
  assert.equal(kept[12].length, 4);
  assert.deepEqual(kept.flat().sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
  assert.deepEqual(kept.slice(0, 12), dropped);
  // Fewer rows than one batch: nothing, or one partial batch.
  assert.deepEqual(await shuffle(chunk(rowsOf(5), [5]), OPTIONS), []);
  assert.deepEqual((await shuffle(chunk(rowsOf(5), [5]), { ...OPTIONS, dropLast: false }))[0].sort(), [0, 1, 2, 3, 4]);
});

Deno.test("each buffered row is equally likely to be drawn", async () => {
  // 8 rows, capacity 8, batch 1: the first draw is over all 8. 4000 seeds: 500 each, σ ≈ 21.
  const counts = new Array(8).fill(0);
  for (let seed = 0; seed < 4000; seed++) {
    const [first] = await shuffle(chunk(rowsOf(8), [8]), { batchSize: 1, capacity: 8, seed });
    counts[first[0]]++;
  }
  for (const count of counts) assert.ok(count > 400 && count < 600, `counts ${counts}`);
});

Deno.test("it streams: batches come out before the input ends, the buffer never holds more than capacity", async () => {
  const total = 200, capacity = 4, batchSize = 2;
  let pulled = 0;
  const source = new ReadableStream<RowBlock>({
    pull(controller) {
      if (pulled === total) return controller.close();
      controller.enqueue({ rows: Float32Array.from({ length: D }, (_, j) => pulled * D + j), count: 1, dIn: D });
      pulled++;
    },
  }, { highWaterMark: 0 });
  const stream = new ShuffleBatchStream({ batchSize, capacity, seed: 3, dIn: D });
  const seen: number[] = [];
  let k = 0;
  for await (const batch of source.pipeThrough(stream)) {
    assert.ok(stream.heldRows <= capacity, `${stream.heldRows} rows held`);
    // A slow consumer holds the source back: only a few blocks are in flight beyond what the batches used.
    assert.ok(pulled <= capacity + (k + 3) * batchSize, `batch ${k}: ${pulled} rows pulled`);
    if (k === 0) assert.ok(pulled < total, "the first batch comes before the input ends");
    seen.push(...indices(batch));
    k++;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  assert.equal(k, total / batchSize);
  assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: total }, (_, i) => i));
});

Deno.test("bad options are ConfigErrors; a block of another width is a DataError", async () => {
  const bad: Partial<ShuffleBatchOptions>[] = [
    { batchSize: 0 },
    { capacity: 4, batchSize: 8 },
    { dIn: 2.5 },
    { seed: 0.5 },
    { capacity: NaN },
  ];
  for (const options of bad) {
    assert.throws(
      () => new ShuffleBatchStream({ batchSize: 2, capacity: 4, seed: 0, dIn: D, ...options }),
      ConfigError,
    );
  }
  const random = mulberry32(0);
  const block = { rows: Float32Array.from({ length: 8 }, random), count: 4, dIn: 2 };
  await assert.rejects(
    ReadableStream.from([block]).pipeThrough(new ShuffleBatchStream({ batchSize: 2, capacity: 4, seed: 0, dIn: D }))
      .pipeTo(new WritableStream()),
    (e) => e instanceof DataError && /width 2.*expected rows of width 3/.test(e.message),
  );
});
