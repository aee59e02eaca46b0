import assert from "node:assert/strict";
import { abortable } from "@saeflow/core";

Deno.test("aborting errors the stream with the reason and cancels the source", async () => {
  let cancelled: unknown;
  let produced = 0;
  const source = new ReadableStream<number>({
    pull: (c) => c.enqueue(produced++),
    cancel: (r) => void (cancelled = r),
  });
  const controller = new AbortController();
  const reader = abortable(source, controller.signal).getReader();
  assert.deepEqual(await reader.read(), { done: false, value: 0 });
  const reason = new Error("interrupted (SIGINT)");
  controller.abort(reason);
  await assert.rejects(reader.read(), /interrupted \(SIGINT\)/);
  assert.equal(cancelled, reason);
  assert.ok(produced <= 2);
});

Deno.test("an already-aborted signal fails at once; an untouched signal passes everything", async () => {
  await assert.rejects(
    Array.fromAsync(abortable(ReadableStream.from([1]), AbortSignal.abort(new Error("too late")))),
    /too late/,
  );
  assert.deepEqual(await Array.fromAsync(abortable(ReadableStream.from([1, 2]), new AbortController().signal)), [1, 2]);
});

Deno.test("pipeTo with the same signal stops a whole pipeline", async () => {
  const controller = new AbortController();
  const written: number[] = [];
  let n = 0;
  const source = new ReadableStream<number>({ pull: (c) => c.enqueue(n++) });
  const done = abortable(source, controller.signal).pipeTo(
    new WritableStream({
      write(x) {
        written.push(x);
        if (x === 5) controller.abort(new Error("stop"));
      },
    }),
    { signal: controller.signal },
  );
  await assert.rejects(done, /stop/);
  assert.ok(written.length >= 6 && written.length < 10);
});
