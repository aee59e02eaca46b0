/**
 * The stages compose on real data: sst2 → stories260K → a random SAE → pooling → binarization, as streams. A record's
 * index sets are the same whatever batch it was tokenized in (batch size 1 vs 16), and the MOSAIC rule `x > 1` on
 * sum-pooled features agrees with pooling and thresholding by hand.
 */
import assert from "node:assert/strict";
import type { TextRecord } from "@saeflow/core";
import { ForwardStream, loadDecoder } from "@saeflow/forward";
import { openTextDataset } from "@saeflow/io";
import { type PooledBatch, pooledColumn, PoolStream } from "@saeflow/pool";
import { type Binarized, BinarizeStream } from "@saeflow/binarize";
import { randomSae, SaeEncoder, SaeEncodeStream } from "@saeflow/sae";
import { loadLlama2cTokenizer, TokenizeStream } from "@saeflow/tokenize";
import { sharedData, sharedModel } from "../helpers.ts";

const HOOK = "blocks.2.hook_resid_post";
const SUM = "sum[mask=no-bos]";
type Column = ReturnType<typeof pooledColumn>;

/** Record id -> its active feature ids under `x > 1` on sum pooling, and the pooled sums themselves. */
async function indexSets(records: TextRecord[], batchSize: number) {
  const tokenizer = await loadLlama2cTokenizer(sharedModel("stories260K/tok512.bin"));
  const model = await loadDecoder(sharedModel("stories260K/stories260K.bin"), { hooks: [HOOK] });
  const encoder = await SaeEncoder.create(randomSae({ dIn: 64, dSae: 256, seed: 5 }));
  const sets = new Map<string, number[]>();
  const sums = new Map<string, Map<number, number>>();
  try {
    await ReadableStream.from(records)
      .pipeThrough(new TokenizeStream({ tokenizer, maxTokens: 64, batchSize }))
      .pipeThrough(new ForwardStream({ model }))
      .pipeThrough(new SaeEncodeStream({ saes: [{ id: "sae", hook: HOOK, encoder }] }))
      .pipeThrough(new PoolStream({ pools: [{ strategy: "sum" }] }))
      .pipeThrough(
        new TransformStream<PooledBatch, Column>({ transform: (b, c) => c.enqueue(pooledColumn(b, "sae", SUM)) }),
      )
      .pipeThrough(new BinarizeStream<Column>({ outputs: [{ name: "gt1", spec: { rule: "gt", threshold: 1 } }] }))
      .pipeTo(
        new WritableStream({
          write({ records, vectors, binarized }: Binarized<Column>) {
            const sets_ = binarized.get("gt1")!;
            records.forEach((record, i) => {
              sets.set(record.id, Array.from(sets_.indices.subarray(sets_.rowPtr[i], sets_.rowPtr[i + 1])));
              sums.set(record.id, new Map(Array.from(vectors[i].indices, (f, j) => [f, vectors[i].values[j]])));
            });
          },
        }),
      );
  } finally {
    await model.release();
    await encoder.release();
  }
  return { sets, sums };
}

Deno.test("sst2 → stories260K → SAE → sum pool → x > 1: the same index sets in batches of 1 and 16", async () => {
  const { records } = await openTextDataset({
    sources: [{ path: sharedData("sst2/sst2_dev.tsv"), split: "validation" }],
    fields: { text: "text", label: "label" },
  });
  const sample = (await Array.fromAsync(records)).slice(0, 32);
  const single = await indexSets(sample, 1);
  const batched = await indexSets(sample, 16);
  assert.equal(single.sets.size, 32);
  let active = 0;
  for (const [id, set] of single.sets) {
    assert.deepEqual(batched.sets.get(id), set, `record ${id}`);
    // By hand: the features whose pooled sum is > 1, as float32.
    const expected = [...single.sums.get(id)!].filter(([, v]) => v > 1).map(([f]) => f).sort((a, b) => a - b);
    assert.deepEqual(set, expected, `record ${id}: x > 1`);
    active += set.length;
  }
  assert.ok(active > 32, `the rule keeps some features (${active} in all)`);
});
