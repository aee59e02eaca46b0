import assert from "node:assert/strict";
import { resourceStream } from "@saeflow/core";

function counted(items: number[], failAt = -1) {
  const released: unknown[] = [];
  let i = 0;
  const stream = resourceStream<number>({
    next(enqueue) {
      if (i === failAt) throw new Error(`item ${i} broke`);
      if (i >= items.length) return false;
      enqueue(items[i++]);
      return true;
    },
    release: (reason) => void released.push(reason ?? "end"),
  });
  return { stream, released };
}

Deno.test("released exactly once: at the end, on cancel, and when producing fails", async () => {
  const end = counted([1, 2, 3]);
  assert.deepEqual(await Array.fromAsync(end.stream), [1, 2, 3]);
  assert.deepEqual(end.released, ["end"]);

  const cancelled = counted([1, 2, 3]);
  const reader = cancelled.stream.getReader();
  await reader.read();
  await reader.cancel("enough");
  await reader.cancel("again").catch(() => {});
  assert.deepEqual(cancelled.released, ["enough"]);

  const failed = counted([1, 2, 3], 2);
  await assert.rejects(Array.fromAsync(failed.stream), /item 2 broke/);
  assert.equal(failed.released.length, 1);
  assert.match(String(failed.released[0]), /item 2 broke/);
});
