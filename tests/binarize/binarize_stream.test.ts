import assert from "node:assert/strict";
import {
  binarize,
  BinarizeStream,
  fitQuantileThresholds,
  indexSetRow,
  restrictToFeatures,
  type SparseVector,
} from "@saeflow/binarize";
import { ConfigError, DataError } from "@saeflow/core";
import { randomVectors, sv, TRICKY_VALUES } from "./fixtures.ts";

function batches(vectors: SparseVector[], size: number): { ids: number[]; vectors: SparseVector[] }[] {
  const out = [];
  for (let i = 0; i < vectors.length; i += size) {
    out.push({ ids: vectors.slice(i, i + size).map((_, j) => i + j), vectors: vectors.slice(i, i + size) });
  }
  return out;
}

Deno.test("every output of every batch equals per-record binarize; other fields pass through; batch size is irrelevant", async () => {
  const dSae = 32;
  const vectors = [...randomVectors(31, 40, dSae, 0.3, TRICKY_VALUES.filter((x) => !Number.isNaN(x))), sv()];
  const thresholds = fitQuantileThresholds(vectors.slice(0, 30), dSae, 0.75);
  const selected = new Int32Array([7, 3, 30, 12]);
  const outputs = [
    { spec: { rule: "gt" as const } },
    { spec: { rule: "ge" as const, threshold: 1 } },
    { spec: { rule: "presence" as const } },
    { spec: { rule: "per-feature" as const, quantile: 0.75 }, thresholds },
    { name: "presence-top4", spec: { rule: "presence" as const }, features: selected },
  ];
  const collected: Record<number, Record<string, number[][]>> = {};
  for (const size of [1, 7, 41]) {
    const out = await Array.fromAsync(
      ReadableStream.from(batches(vectors, size)).pipeThrough(new BinarizeStream({ outputs })),
    );
    const perName: Record<string, number[][]> = {};
    for (const batch of out) {
      assert.deepEqual([...batch.binarized.keys()], ["gt:1", "ge:1", "presence", "per-feature:0.75", "presence-top4"]);
      assert.equal(batch.ids.length, batch.vectors.length);
      for (const [name, sets] of batch.binarized) {
        assert.equal(sets.rowPtr.length, batch.vectors.length + 1);
        for (let r = 0; r < batch.vectors.length; r++) (perName[name] ??= []).push([...indexSetRow(sets, r)]);
      }
    }
    collected[size] = perName;
  }
  assert.deepEqual(collected[1], collected[7]);
  assert.deepEqual(collected[1], collected[41]);
  const expect = (f: (v: SparseVector) => Int32Array) => vectors.map((v) => [...f(v)]);
  assert.deepEqual(collected[1]["gt:1"], expect((v) => binarize(v, { rule: "gt", threshold: 1 })));
  assert.deepEqual(collected[1]["ge:1"], expect((v) => binarize(v, { rule: "ge", threshold: 1 })));
  assert.deepEqual(collected[1]["presence"], expect((v) => binarize(v, { rule: "presence" })));
  assert.deepEqual(collected[1]["per-feature:0.75"], expect((v) => binarize(v, { rule: "per-feature" }, thresholds)));
  assert.deepEqual(
    collected[1]["presence-top4"],
    expect((v) => restrictToFeatures(binarize(v, { rule: "presence" }), selected)),
  );
});

Deno.test("an empty batch gives empty index sets", async () => {
  const [out] = await Array.fromAsync(
    ReadableStream.from([{ vectors: [] }]).pipeThrough(
      new BinarizeStream({ outputs: [{ spec: { rule: "presence" } }] }),
    ),
  );
  assert.deepEqual(out.binarized.get("presence"), { rowPtr: new Int32Array([0]), indices: new Int32Array([]) });
});

Deno.test("bad options are ConfigErrors at construction; a bad record is a DataError naming its position in the stream", async () => {
  assert.throws(() => new BinarizeStream({ outputs: [] }), ConfigError);
  assert.throws(
    () => new BinarizeStream({ outputs: [{ spec: { rule: "gt" } }, { spec: { rule: "gt", threshold: 1 } }] }),
    /two outputs are named "gt:1"/,
  );
  assert.throws(() => new BinarizeStream({ outputs: [{ spec: { rule: "per-feature" } }] }), /needs fitted thresholds/);
  const bad = { indices: new Int32Array([2, 1]), values: new Float32Array([1, 1]) };
  const stream = ReadableStream.from([{ vectors: [sv([0, 1]), sv()] }, { vectors: [sv(), bad] }])
    .pipeThrough(new BinarizeStream({ outputs: [{ spec: { rule: "presence" } }] }));
  await assert.rejects(Array.fromAsync(stream), (e: Error) => e instanceof DataError && /record 4/.test(e.message));
});

Deno.test("bounded: the stream pulls one batch ahead of its reader, not the whole source", async () => {
  let pulled = 0;
  const source = new ReadableStream<{ vectors: SparseVector[] }>({
    pull(controller) {
      if (pulled++ === 1000) controller.close();
      else controller.enqueue({ vectors: [sv([0, 2])] });
    },
  }, { highWaterMark: 0 });
  const reader = source.pipeThrough(new BinarizeStream({ outputs: [{ spec: { rule: "gt" } }] })).getReader();
  for (let i = 0; i < 5; i++) await reader.read();
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(pulled <= 8, `pulled ${pulled} batches for 5 reads`);
  await reader.cancel();
});
