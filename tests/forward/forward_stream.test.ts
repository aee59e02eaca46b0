/**
 * Tokenize -> forward as streams on real data: each record's activations do not depend on the batch it landed in,
 * every record comes out once, and a slow consumer bounds how far the reader runs ahead.
 */
import assert from "node:assert/strict";
import type { TextRecord } from "@saeflow/core";
import { type ActivationBatch, ForwardStream, loadDecoder } from "@saeflow/forward";
import { openTextDataset } from "@saeflow/io";
import { loadLlama2cTokenizer, TokenizeStream } from "@saeflow/tokenize";
import { sharedData, sharedModel } from "../helpers.ts";

const HOOK = "blocks.2.hook_resid_post";

async function sst2Records(count: number): Promise<TextRecord[]> {
  const { records } = await openTextDataset({
    sources: [{ path: sharedData("sst2/sst2_dev.tsv"), split: "validation" }],
    fields: { text: "text", label: "label" },
  });
  const all = await Array.fromAsync(records);
  return all.slice(0, count);
}

/** Record id -> its real tokens' activations, `[length, d]`. */
async function activationsByRecord(records: TextRecord[], batchSize: number) {
  const tokenizer = await loadLlama2cTokenizer(sharedModel("stories260K/tok512.bin"));
  const model = await loadDecoder(sharedModel("stories260K/stories260K.bin"), { hooks: [HOOK] });
  const byRecord = new Map<string, Float32Array>();
  try {
    await ReadableStream.from(records)
      .pipeThrough(new TokenizeStream({ tokenizer, maxTokens: 64, batchSize }))
      .pipeThrough(new ForwardStream({ model }))
      .pipeTo(
        new WritableStream({
          write({ tokens, activations, dModel }: ActivationBatch) {
            const values = activations.get(HOOK)!;
            tokens.records.forEach((record, row) => {
              const start = row * tokens.seqLen * dModel;
              assert.ok(!byRecord.has(record.id), `record ${record.id} came out twice`);
              byRecord.set(record.id, values.slice(start, start + tokens.lengths[row] * dModel));
            });
          },
        }),
      );
  } finally {
    await model.release();
  }
  return byRecord;
}

Deno.test("sst2 through stories260K: activations are the same in batches of 1 and of 16", async () => {
  const records = await sst2Records(48);
  const single = await activationsByRecord(records, 1);
  const batched = await activationsByRecord(records, 16);
  assert.deepEqual([...batched.keys()].sort(), records.map((r) => r.id).sort());
  let worst = 0;
  for (const [id, values] of single) {
    const other = batched.get(id)!;
    assert.equal(other.length, values.length, `record ${id}: token count`);
    for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(values[i] - other[i]));
  }
  assert.ok(worst < 1e-5, `batch of 1 vs 16: max abs diff ${worst}`);
});

Deno.test("a slow consumer of activations bounds how many records are read", async () => {
  const tokenizer = await loadLlama2cTokenizer(sharedModel("stories260K/tok512.bin"));
  const model = await loadDecoder(sharedModel("stories260K/stories260K.bin"), { hooks: [HOOK] });
  let read = 0;
  const source = new ReadableStream<TextRecord>({
    pull: (controller) => controller.enqueue({ id: String(read), text: `story number ${read++}` }),
  }, { highWaterMark: 1 });
  let consumed = 0;
  let mostRead = 0;
  const batchSize = 8, windowSize = 32;
  try {
    await source
      .pipeThrough(new TokenizeStream({ tokenizer, maxTokens: 16, batchSize, windowSize }))
      .pipeThrough(new ForwardStream({ model }))
      .pipeTo(
        new WritableStream({
          async write() {
            await new Promise((r) => setTimeout(r, 20));
            mostRead = Math.max(mostRead, read - consumed * batchSize);
            if (++consumed === 10) throw new Error("enough");
          },
        }, new CountQueuingStrategy({ highWaterMark: 1 })),
      ).catch((e) => assert.equal(e.message, "enough"));
  } finally {
    await model.release();
  }
  // One window being sorted, a few batches in flight between the stages: never the whole (endless) source.
  assert.ok(mostRead <= windowSize * 2 + 8 * batchSize, `reader ran ${mostRead} records ahead of the consumer`);
});
