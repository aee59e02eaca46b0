/** Spine overhead per item: how much the stream helpers cost before any model work. `deno bench -A bench/`. */
import { BatchByLengthStream, ConcurrentMapStream, teeWithBackpressure, UnbatchStream } from "@saeflow/core";

const items = Array.from({ length: 100_000 }, (_, i) => ({ i, len: (i * 7919) % 128 }));

Deno.bench("batch by length (64) → unbatch, 100k items", async () => {
  for await (
    const _ of ReadableStream.from(items)
      .pipeThrough(new BatchByLengthStream({ batchSize: 64, lengthOf: (x) => x.len }))
      .pipeThrough(new UnbatchStream())
  ) { /* drain */ }
});

Deno.bench("concurrent map (4 in flight), 100k items", async () => {
  for await (
    const _ of ReadableStream.from(items).pipeThrough(new ConcurrentMapStream((x) => x, { concurrency: 4 }))
  ) { /* drain */ }
});

Deno.bench("tee with backpressure, 2 branches, 100k items", async () => {
  const [a, b] = teeWithBackpressure(ReadableStream.from(items));
  await Promise.all([Array.fromAsync(a), Array.fromAsync(b)]);
});
