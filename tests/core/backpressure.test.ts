/**
 * A slow sink must bound how far a fast source runs ahead, through every spine stage: this is what keeps memory
 * flat when the model is slower than the dataset reader.
 */
import assert from "node:assert/strict";
import {
  BatchByLengthStream,
  ConcurrentMapStream,
  ProgressReporter,
  ProgressStream,
  UnbatchStream,
} from "@saeflow/core";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function countingSource() {
  const state = { produced: 0 };
  const stream = new ReadableStream<number>({ pull: (c) => c.enqueue(state.produced++) }, { highWaterMark: 1 });
  return { state, stream };
}

function slowSink(consumed: { n: number; maxLead: number }, lead: () => number, limit: number) {
  return new WritableStream<number>({
    async write() {
      consumed.n++;
      consumed.maxLead = Math.max(consumed.maxLead, lead());
      await sleep(2);
      if (consumed.n >= limit) throw new Error("enough");
    },
  }, { highWaterMark: 1 });
}

Deno.test("slow sink bounds the source through batch → concurrent map → unbatch → progress", async () => {
  const { state, stream } = countingSource();
  const consumed = { n: 0, maxLead: 0 };
  const batchSize = 8, windowSize = 32, concurrency = 2;
  const progress = new ProgressReporter({ label: "bp", mode: "quiet" });
  await stream
    .pipeThrough(new BatchByLengthStream({ batchSize, windowSize, lengthOf: (i: number) => i % 5 }))
    .pipeThrough(new ConcurrentMapStream(async (b: number[]) => (await sleep(1), b), { concurrency }))
    .pipeThrough(new UnbatchStream())
    .pipeThrough(new ProgressStream(progress))
    .pipeTo(slowSink(consumed, () => state.produced - consumed.n, 300))
    .catch((e) => assert.equal(e.message, "enough"));
  // Each stage may hold a bounded amount: one window, `concurrency` batches in flight plus queued batches,
  // and the few items queued between stages. None of it grows with the length of the run.
  const bound = windowSize + (concurrency + 3) * batchSize + 16;
  assert.ok(consumed.maxLead <= bound, `source ran ${consumed.maxLead} items ahead (bound ${bound})`);
  assert.ok(state.produced < 300 + bound, `source produced ${state.produced} for 300 consumed`);
});

Deno.test("without backpressure the same source would race ahead (the bound above is meaningful)", async () => {
  let produced = 0;
  const source = new ReadableStream<number>({
    pull: (c) => (produced < 5000 ? c.enqueue(produced++) : c.close()),
  });
  const reader = source.pipeThrough(new TransformStream({}, { highWaterMark: Infinity }, { highWaterMark: Infinity }))
    .getReader();
  await sleep(50);
  assert.equal(produced, 5000, "an unbounded queue lets the source produce everything with nothing read");
  await reader.cancel();
});
