import assert from "node:assert/strict";
import { ConfigError, DataError, type TextRecord } from "@saeflow/core";
import {
  loadHfTokenizer,
  loadLlama2cTokenizer,
  padBatch,
  type TokenBatch,
  type Tokenizer,
  TokenizeStream,
} from "@saeflow/tokenize";
import { sharedData } from "../helpers.ts";
import { GEMMA, TOK512 } from "./fixtures.ts";

const llama2c = await loadLlama2cTokenizer(TOK512, { vocabSize: 512 });

/** SST-2 validation sentences as records (872 real texts of 1 to ~55 words). */
const sst2: TextRecord[] = Deno.readTextFileSync(sharedData("sst2/sst2_dev.tsv"))
  .split("\n").slice(1).filter((l) => l.trim() !== "")
  .map((l, i) => ({ id: `sst2:${i}`, text: l.split("\t")[0], split: "validation" }));

async function batchesOf(
  input: Iterable<TextRecord | TextRecord[]>,
  options: Partial<ConstructorParameters<typeof TokenizeStream>[0]> = {},
): Promise<TokenBatch[]> {
  const stream = new TokenizeStream({ tokenizer: llama2c, maxTokens: 512, batchSize: 16, ...options });
  return await Array.fromAsync(ReadableStream.from(input).pipeThrough(stream));
}

/** Row `r` of a batch: its real ids, checking that the rest is padding with a zero mask. */
function row(batch: TokenBatch, r: number): number[] {
  const { seqLen, lengths, ids, mask, padId } = batch;
  const start = r * seqLen;
  for (let t = 0; t < seqLen; t++) {
    assert.equal(mask[start + t], t < lengths[r] ? 1 : 0);
    if (t >= lengths[r]) assert.equal(ids[start + t], padId);
  }
  return [...ids.subarray(start, start + lengths[r])];
}

Deno.test("padBatch: right padding, mask, lengths; bad input is a RangeError", () => {
  const batch = padBatch([[2, 10, 11], [2, 12]], { padId: 0, hasBos: true });
  assert.deepEqual(batch.ids, Int32Array.of(2, 10, 11, 2, 12, 0));
  assert.deepEqual(batch.mask, Uint8Array.of(1, 1, 1, 1, 1, 0));
  assert.deepEqual(batch.lengths, Int32Array.of(3, 2));
  assert.equal(batch.batchSize, 2);
  assert.equal(batch.seqLen, 3);
  assert.deepEqual(batch.records.map((r) => r.id), ["0", "1"]);
  assert.deepEqual(batch.truncated, [false, false]);
  assert.throws(() => padBatch([], { padId: 0, hasBos: false }), RangeError);
  assert.throws(() => padBatch([[1], []], { padId: 0, hasBos: false }), /row 1 \(record 1\) has no tokens/);
  assert.throws(() => padBatch([[1]], { padId: 0, hasBos: false, truncated: [] }), RangeError);
});

Deno.test("every record comes out once, as its own encode() right-padded with the pad id and masked", async () => {
  const batches = await batchesOf([sst2.slice(0, 400), sst2.slice(400)]);
  const seen = new Map<string, number[]>();
  for (const batch of batches) {
    assert.ok(batch.batchSize <= 16);
    assert.equal(batch.ids.length, batch.batchSize * batch.seqLen);
    assert.equal(batch.seqLen, Math.max(...batch.lengths));
    assert.equal(batch.padId, 2);
    assert.equal(batch.hasBos, true);
    batch.records.forEach((record, r) => seen.set(record.id, row(batch, r)));
  }
  assert.equal(seen.size, sst2.length);
  for (const record of sst2) assert.deepEqual(seen.get(record.id), llama2c.encode(record.text), record.id);
});

Deno.test("batches are length buckets: sorted within a window, limited by batchSize and maxBatchTokens", async () => {
  const all = await batchesOf([sst2], { windowSize: sst2.length, batchSize: 8 });
  for (let b = 1; b < all.length; b++) assert.ok(Math.max(...all[b - 1].lengths) <= Math.min(...all[b].lengths));
  assert.equal(all.length, Math.ceil(sst2.length / 8));
  const capped = await batchesOf([sst2], { batchSize: 64, maxBatchTokens: 300 });
  for (const batch of capped) assert.ok(batch.batchSize === 1 || batch.batchSize * batch.seqLen <= 300);
  assert.equal(capped.reduce((n, b) => n + b.batchSize, 0), sst2.length);
  // bucketing pads far less than batches in input order would
  const padded = (batches: TokenBatch[]) => batches.reduce((n, b) => n + b.ids.length, 0);
  const inOrder = await batchesOf(sst2.map((r) => [r]), { batchSize: 8, windowSize: 8 });
  assert.ok(padded(all) < 0.7 * padded(inOrder));
});

Deno.test("truncation keeps the first maxTokens ids (BOS first) and marks the row", async () => {
  const batches = await batchesOf([sst2], { maxTokens: 8 });
  let cut = 0;
  for (const batch of batches) {
    assert.ok(batch.seqLen <= 8);
    batch.records.forEach((record, r) => {
      const full = llama2c.encode(record.text);
      assert.deepEqual(row(batch, r), full.slice(0, 8));
      assert.equal(batch.truncated[r], full.length > 8);
      if (batch.truncated[r]) cut++;
    });
  }
  assert.ok(cut > 100);
});

Deno.test("an empty or whitespace-only text is a DataError naming the record; onEmpty 'skip' drops and counts", async () => {
  const records = [{ id: "a", text: "fine" }, { id: "blank", text: " \t\n", meta: { path: "reviews.csv" } }];
  await assert.rejects(
    batchesOf([records]),
    (e) =>
      e instanceof DataError && e.location.id === "blank" &&
      e.message.startsWith('reviews.csv (id "blank"): empty text: nothing to tokenize'),
  );
  await assert.rejects(batchesOf([{ id: "e", text: "" }]), /input \(id "e"\): empty text/);
  const stream = new TokenizeStream({ tokenizer: llama2c, maxTokens: 16, batchSize: 4, onEmpty: "skip" });
  const batches = await Array.fromAsync(ReadableStream.from([records, [{ id: "e", text: "" }]]).pipeThrough(stream));
  assert.deepEqual(batches.flatMap((b) => b.records.map((r) => r.id)), ["a"]);
  assert.equal(stream.skipped, 2);
});

Deno.test("single records and arrays of records give the same batches", async () => {
  const some = sst2.slice(0, 50);
  const ids = (batches: TokenBatch[]) => batches.map((b) => [...b.ids]);
  assert.deepEqual(ids(await batchesOf(some)), ids(await batchesOf([some])));
});

Deno.test("options that cannot work are ConfigErrors: maxTokens < 1, chatTemplate without a template", () => {
  assert.throws(() => new TokenizeStream({ tokenizer: llama2c, maxTokens: 0, batchSize: 4 }), ConfigError);
  assert.throws(
    () => new TokenizeStream({ tokenizer: llama2c, maxTokens: 8, batchSize: 4, chatTemplate: true }),
    (e) => e instanceof ConfigError && e.message.includes("has no chat template"),
  );
  assert.throws(() => new TokenizeStream({ tokenizer: llama2c, maxTokens: 8, batchSize: 0 }), RangeError);
});

Deno.test("chatTemplate: Gemma rows are the rendered user turn, with exactly one BOS", async () => {
  const gemma = await loadHfTokenizer(GEMMA);
  const records = sst2.slice(0, 20);
  const batches = await batchesOf([records], { tokenizer: gemma, chatTemplate: true });
  for (const batch of batches) {
    assert.equal(batch.hasBos, true);
    assert.equal(batch.padId, 0);
    batch.records.forEach((record, r) => {
      const ids = row(batch, r);
      assert.deepEqual(ids, gemma.encode(gemma.applyChatTemplate(record.text), { addSpecialTokens: false }));
      assert.deepEqual(ids.slice(0, 2), [2, 106]);
      assert.equal(ids.filter((id) => id === 2).length, 1);
    });
  }
});

Deno.test("hasBos follows the tokenizer: a tokenizer without BOS gives hasBos false", async () => {
  const chars: Tokenizer = {
    name: "chars",
    vocabSize: 256,
    padId: 0,
    addsBos: false,
    encode: (text) => [...new TextEncoder().encode(text)],
    decode: (ids) => new TextDecoder().decode(Uint8Array.from(ids)),
  };
  const [batch] = await batchesOf([[{ id: "x", text: "ab" }, { id: "y", text: "c" }]], { tokenizer: chars });
  assert.equal(batch.hasBos, false);
  assert.deepEqual([...batch.ids], [99, 0, 97, 98]); // length-sorted: "c" first
});

Deno.test("backpressure: a slow consumer stops the reading of records after about one window", async () => {
  let pulled = 0;
  const total = 5_000;
  const source = new ReadableStream<TextRecord>({
    pull(controller) {
      if (pulled === total) return controller.close();
      const record = sst2[pulled % sst2.length];
      controller.enqueue({ ...record, id: String(pulled++) });
    },
  }, { highWaterMark: 0 });
  const windowSize = 32;
  const reader = source
    .pipeThrough(new TokenizeStream({ tokenizer: llama2c, maxTokens: 64, batchSize: 8, windowSize }))
    .getReader();
  let rows = (await reader.read()).value!.batchSize;
  await new Promise((resolve) => setTimeout(resolve, 50)); // ample time for a runaway source
  assert.ok(pulled <= 3 * windowSize, `pulled ${pulled} records while one batch was read`);
  const first = pulled;
  rows += (await reader.read()).value!.batchSize + (await reader.read()).value!.batchSize;
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(pulled <= first + 2 * windowSize, `pulled ${pulled} after two more batches`);
  for (let r = await reader.read(); !r.done; r = await reader.read()) rows += r.value.batchSize;
  assert.equal(pulled, total);
  assert.equal(rows, total);
});
