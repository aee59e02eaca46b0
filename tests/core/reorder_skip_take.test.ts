import assert from "node:assert/strict";
import { concatStreams, ReorderStream, SkipStream, TakeStream } from "@saeflow/core";

Deno.test("ReorderStream fails loudly on duplicates, gaps at the end, and overflow", async () => {
  const run = (indices: number[], maxBuffered?: number) =>
    Array.fromAsync(
      ReadableStream.from(indices).pipeThrough(new ReorderStream({ indexOf: (i: number) => i, maxBuffered })),
    );
  assert.deepEqual(await run([2, 0, 1, 3]), [0, 1, 2, 3]);
  await assert.rejects(run([0, 0]), /index 0 is duplicated or below/);
  await assert.rejects(run([0, 2]), /stream ended while waiting for index 1/);
  await assert.rejects(run([3, 2, 1, 0], 2), /3 items held waiting for index 0/);
});

Deno.test("ReorderStream can start after a resumed prefix", async () => {
  const out = await Array.fromAsync(
    ReadableStream.from([11, 10, 12]).pipeThrough(new ReorderStream({ indexOf: (i: number) => i, start: 10 })),
  );
  assert.deepEqual(out, [10, 11, 12]);
});

Deno.test("SkipStream drops a prefix; TakeStream stops reading its source", async () => {
  assert.deepEqual(await Array.fromAsync(ReadableStream.from([1, 2, 3, 4]).pipeThrough(new SkipStream(3))), [4]);
  assert.deepEqual(await Array.fromAsync(ReadableStream.from([1, 2]).pipeThrough(new SkipStream(5))), []);
  let pulled = 0;
  let cancelled = false;
  const endless = new ReadableStream<number>({
    pull: (c) => c.enqueue(pulled++),
    cancel: () => void (cancelled = true),
  });
  assert.deepEqual(await Array.fromAsync(endless.pipeThrough(new TakeStream(5))), [0, 1, 2, 3, 4]);
  assert.ok(cancelled, "source was cancelled");
  assert.ok(pulled < 10, `source ran ${pulled} items ahead`);
  assert.deepEqual(await Array.fromAsync(ReadableStream.from([1]).pipeThrough(new TakeStream(0))), []);
});

Deno.test("concatStreams opens parts lazily, in order, and cancels the open part", async () => {
  const opened: number[] = [];
  async function* parts() {
    for (const n of [1, 2, 3]) {
      opened.push(n);
      yield ReadableStream.from([n * 10, n * 10 + 1]);
    }
  }
  const reader = concatStreams(parts()).getReader();
  assert.deepEqual((await reader.read()).value, 10);
  assert.deepEqual(opened, [1], "second part not opened before the first is exhausted");
  let cancelled: unknown;
  const endless = new ReadableStream<number>({ pull: (c) => c.enqueue(0), cancel: (r) => void (cancelled = r) });
  const all = concatStreams([ReadableStream.from([1]), endless]).getReader();
  await all.read();
  await all.read();
  await all.cancel("enough");
  assert.equal(cancelled, "enough");
  assert.deepEqual(await Array.fromAsync(concatStreams(parts())), [10, 11, 20, 21, 30, 31]);
});
