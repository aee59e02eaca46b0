import assert from "node:assert/strict";
import { ConcurrentMapStream } from "@saeflow/core";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("results come out in input order although calls finish out of order", async () => {
  const delays = [30, 5, 20, 1, 10, 0, 25, 3];
  const out = await Array.fromAsync(
    ReadableStream.from(delays.map((d, i) => ({ d, i }))).pipeThrough(
      new ConcurrentMapStream(async ({ d, i }) => (await sleep(d), i), { concurrency: 4 }),
    ),
  );
  assert.deepEqual(out, [0, 1, 2, 3, 4, 5, 6, 7]);
});

Deno.test("never more than `concurrency` calls in flight, and calls do overlap", async () => {
  let running = 0;
  let peak = 0;
  await Array.fromAsync(
    ReadableStream.from(Array.from({ length: 40 }, (_, i) => i)).pipeThrough(
      new ConcurrentMapStream(async (i: number) => {
        peak = Math.max(peak, ++running);
        await sleep(i % 3);
        running--;
        return i;
      }, { concurrency: 3 }),
    ),
  );
  assert.equal(peak, 3);
});

Deno.test("a failing call errors the stream and signals the others to stop", async () => {
  const seen: boolean[] = [];
  const stream = ReadableStream.from([0, 1, 2, 3, 4, 5]).pipeThrough(
    new ConcurrentMapStream(async (i: number, { signal }) => {
      if (i === 1) throw new Error("record 1 is broken");
      await sleep(20);
      seen.push(signal.aborted);
      return i;
    }, { concurrency: 3 }),
  );
  await assert.rejects(Array.fromAsync(stream), /record 1 is broken/);
  await sleep(40);
  assert.ok(seen.includes(true), "in-flight calls saw the abort");
});

Deno.test("an external AbortSignal cancels the map with its reason", async () => {
  const controller = new AbortController();
  const endless = new ReadableStream<number>({ pull: (c) => c.enqueue(1) });
  const stream = endless.pipeThrough(
    new ConcurrentMapStream(async (x: number, { index }) => {
      if (index === 10) controller.abort(new Error("stop now"));
      await sleep(1);
      return x;
    }, { concurrency: 2, signal: controller.signal }),
  );
  await assert.rejects(Array.fromAsync(stream), /stop now/);
});

Deno.test("index is the input position", async () => {
  const out = await Array.fromAsync(
    ReadableStream.from(["a", "b", "c"]).pipeThrough(
      new ConcurrentMapStream((s: string, { index }) => `${index}${s}`, { concurrency: 2 }),
    ),
  );
  assert.deepEqual(out, ["0a", "1b", "2c"]);
  assert.throws(() => new ConcurrentMapStream((x) => x, { concurrency: 0 }), /positive integer, got 0/);
});

Deno.test("a bursty source gets its results at once, not when the next burst arrives", async () => {
  const start = performance.now();
  const arrivals: number[] = [];
  const source = new ReadableStream<number>({
    async pull(controller) {
      if (arrivals.length === 0 && controller.desiredSize !== null) {
        for (const i of [0, 1, 2]) controller.enqueue(i);
        await sleep(1000); // the source goes quiet
        controller.close();
      }
    },
  });
  const out = source.pipeThrough(new ConcurrentMapStream(async (x: number) => (await sleep(5), x), { concurrency: 4 }));
  for await (const _ of out) arrivals.push(performance.now() - start);
  assert.equal(arrivals.length, 3);
  assert.ok(arrivals[2] < 800, `results arrived after ${arrivals.map(Math.round)} ms (the source went quiet for 1000)`);
});

Deno.test("a failure surfaces at once and stops new calls while the source is still producing", async () => {
  let started = 0;
  const start = performance.now();
  const source = new ReadableStream<number>({
    async pull(controller) {
      await sleep(50);
      controller.enqueue(started);
    },
  });
  const stream = source.pipeThrough(
    new ConcurrentMapStream(async (i: number) => {
      started++;
      if (i === 0) throw new Error("first record broken");
      await sleep(10);
      return i;
    }, { concurrency: 4 }),
  );
  await assert.rejects(Array.fromAsync(stream), /first record broken/);
  assert.ok(performance.now() - start < 1000, `error took ${Math.round(performance.now() - start)} ms`);
  assert.ok(started <= 2, `${started} calls started`);
});
