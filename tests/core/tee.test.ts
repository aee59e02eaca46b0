import assert from "node:assert/strict";
import { teeWithBackpressure } from "@saeflow/core";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("every branch sees every chunk in order", async () => {
  const branches = teeWithBackpressure(ReadableStream.from([1, 2, 3, 4]), 3);
  const outs = await Promise.all(branches.map((b) => Array.fromAsync(b)));
  assert.deepEqual(outs, [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]]);
});

Deno.test("the source is read only as fast as the slowest branch (native tee buffers instead)", async () => {
  let produced = 0;
  const source = new ReadableStream<number>({ pull: (c) => c.enqueue(produced++) }, { highWaterMark: 0 });
  const [fast, slow] = teeWithBackpressure(source);
  const fastReader = fast.getReader();
  const slowReader = slow.getReader();
  let fastCount = 0;
  const fastLoop = (async () => {
    while (fastCount < 200) {
      await fastReader.read();
      fastCount++;
    }
  })();
  for (let i = 0; i < 20; i++) {
    await slowReader.read();
    await sleep(2);
    assert.ok(produced - i <= 3, `source ${produced - i} chunks ahead of the slow branch`);
  }
  assert.ok(fastCount <= 23, `fast branch ran ${fastCount} chunks ahead`);
  await slowReader.cancel();
  await fastLoop; // the fast branch continues alone once the slow one is detached
  assert.equal(fastCount, 200);
  await fastReader.cancel();

  let nativeProduced = 0;
  const [a, unread] = new ReadableStream<number>({ pull: (c) => c.enqueue(nativeProduced++) }).tee();
  const nativeReader = a.getReader();
  for (let i = 0; i < 200; i++) await nativeReader.read();
  assert.ok(nativeProduced >= 200, "native tee let the unread branch fall 200 chunks behind");
  await Promise.all([nativeReader.cancel(), unread.cancel()]); // a native tee cancels its source only when both do
});

Deno.test("cancelling every branch cancels the source; errors reach every branch", async () => {
  let cancelReason: unknown;
  const source = new ReadableStream<number>({ pull: (c) => c.enqueue(1), cancel: (r) => void (cancelReason = r) });
  const [a, b] = teeWithBackpressure(source);
  await a.cancel("a done");
  assert.equal(cancelReason, undefined);
  await b.cancel("b done");
  assert.equal(cancelReason, "b done");

  const failing = new ReadableStream<number>({
    start: (c) => c.enqueue(1),
    pull: (c) => c.error(new Error("disk gone")),
  });
  const [x, y] = teeWithBackpressure(failing);
  await Promise.all([assert.rejects(Array.fromAsync(x), /disk gone/), assert.rejects(Array.fromAsync(y), /disk gone/)]);
});
