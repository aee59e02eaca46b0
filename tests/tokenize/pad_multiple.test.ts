/**
 * TokenizeStream's `padMultiple` (each row padded to its own length rounded up, capped at maxTokens, so a record's
 * shape does not depend on its batch) and padBatch's `seqLen`, on the real llama2.c tokenizer and SST-2 sentences.
 */
import assert from "node:assert/strict";
import { ConfigError, type TextRecord } from "@saeflow/core";
import { openTextDataset } from "@saeflow/io";
import { loadLlama2cTokenizer, padBatch, type TokenBatch, TokenizeStream } from "@saeflow/tokenize";
import { sharedData, sharedModel } from "../helpers.ts";

const tokenizer = await loadLlama2cTokenizer(sharedModel("stories260K/tok512.bin"));
const { records } = await openTextDataset({
  sources: [{ path: sharedData("sst2/sst2_dev.tsv"), split: "validation" }],
  fields: { text: "text", label: "label" },
});
/** 96 SST-2 validation sentences (18 to 142 tokens with this tokenizer). */
const sentences: TextRecord[] = (await Array.fromAsync(records)).slice(0, 96);

const roundUp = (n: number, multiple: number) => Math.ceil(n / multiple) * multiple;

async function batchesOf(options: { maxTokens: number; batchSize: number; padMultiple?: number }) {
  const stream = new TokenizeStream({ tokenizer, ...options });
  return await Array.fromAsync(ReadableStream.from(sentences).pipeThrough(stream));
}

/** Checks a batch's layout (real tokens masked 1, the rest padId and mask 0) and returns each row's record id → ids. */
function rows(batch: TokenBatch): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const { seqLen, lengths, ids, mask, padId } = batch;
  assert.equal(ids.length, batch.batchSize * seqLen);
  assert.equal(mask.length, batch.batchSize * seqLen);
  for (let r = 0; r < batch.batchSize; r++) {
    assert.ok(lengths[r] >= 1 && lengths[r] <= seqLen);
    for (let t = 0; t < seqLen; t++) {
      const at = r * seqLen + t;
      if (t < lengths[r]) assert.equal(mask[at], 1);
      else {
        assert.equal(mask[at], 0, `row ${r} position ${t}: padding with mask 1`);
        assert.equal(ids[at], padId, `row ${r} position ${t}: padding holds ${ids[at]}, not padId ${padId}`);
      }
    }
    out.set(batch.records[r].id, [...ids.subarray(r * seqLen, r * seqLen + lengths[r])]);
  }
  return out;
}

Deno.test("padMultiple: each batch pads to min(maxTokens, its longest row rounded up), one multiple per batch", async () => {
  const lengths = sentences.map((r) => tokenizer.encode(r.text).length);
  assert.ok(Math.max(...lengths) > 128 && Math.min(...lengths) < 24, `sample lengths ${Math.min(...lengths)}..`);
  for (
    const { maxTokens, padMultiple } of [
      { maxTokens: 128, padMultiple: 8 },
      { maxTokens: 100, padMultiple: 8 }, // not a multiple of 8: rows of 97..100 tokens pad to 100, not 104
      { maxTokens: 128, padMultiple: 5 },
      { maxTokens: 64, padMultiple: 1 },
    ]
  ) {
    const label = `maxTokens ${maxTokens}, padMultiple ${padMultiple}`;
    const batches = await batchesOf({ maxTokens, batchSize: 16, padMultiple });
    const seen = new Map<string, number[]>();
    for (const batch of batches) {
      const longest = Math.max(...batch.lengths);
      assert.equal(batch.seqLen, Math.min(maxTokens, roundUp(longest, padMultiple)), label);
      const multiples = new Set([...batch.lengths].map((n) => roundUp(n, padMultiple)));
      assert.equal(multiples.size, 1, `${label}: a batch mixes rows of ${[...batch.lengths]}`);
      for (const [id, ids] of rows(batch)) seen.set(id, ids);
    }
    assert.equal(seen.size, sentences.length, label);
    for (const record of sentences) {
      // each row is the record's own encoding, cut to maxTokens
      assert.deepEqual(
        seen.get(record.id),
        tokenizer.encode(record.text).slice(0, maxTokens),
        `${label}: ${record.id}`,
      );
    }
    if (maxTokens === 100) assert.ok(batches.some((b) => b.seqLen === 100), "no batch capped at maxTokens");
  }
});

Deno.test("padMultiple: a record gets the same padded length whatever the batch size", async () => {
  const maxTokens = 60, padMultiple = 8; // 60 is not a multiple of 8: rows of 57..60 tokens pad to 60
  const seqLens = new Map<number, Map<string, number>>();
  for (const batchSize of [1, 4, 16]) {
    const byRecord = new Map<string, number>();
    for (const batch of await batchesOf({ maxTokens, batchSize, padMultiple })) {
      assert.ok(batch.batchSize <= batchSize);
      rows(batch);
      for (const record of batch.records) byRecord.set(record.id, batch.seqLen);
    }
    seqLens.set(batchSize, byRecord);
  }
  const expectedLengths = new Set<number>();
  for (const record of sentences) {
    const own = Math.min(tokenizer.encode(record.text).length, maxTokens);
    const expected = Math.min(maxTokens, roundUp(own, padMultiple));
    expectedLengths.add(expected);
    for (const batchSize of [1, 4, 16]) {
      assert.equal(seqLens.get(batchSize)!.get(record.id), expected, `${record.id} at batch size ${batchSize}`);
    }
  }
  assert.deepEqual([...expectedLengths].sort((a, b) => a - b), [24, 32, 40, 48, 56, 60]);
});

Deno.test("without padMultiple a batch pads to its longest row, so a record's padded length depends on its batch", async () => {
  const single = new Map<string, number>();
  for (const batch of await batchesOf({ maxTokens: 128, batchSize: 1 })) single.set(batch.records[0].id, batch.seqLen);
  let differs = 0;
  for (const batch of await batchesOf({ maxTokens: 128, batchSize: 16 })) {
    assert.equal(batch.seqLen, Math.max(...batch.lengths));
    rows(batch);
    for (const record of batch.records) if (single.get(record.id) !== batch.seqLen) differs++;
  }
  assert.ok(differs > 0, "every record padded to its own length even in batches of 16");
});

Deno.test("padMultiple must be a positive integer (ConfigError)", () => {
  for (const padMultiple of [0, 2.5, -8]) {
    assert.throws(
      () => new TokenizeStream({ tokenizer, maxTokens: 64, batchSize: 4, padMultiple }),
      (e) => e instanceof ConfigError && /padMultiple must be a positive integer/.test(e.message),
      String(padMultiple),
    );
  }
});

Deno.test("padBatch seqLen: pads to at least seqLen, never cuts a row shorter than it", () => {
  const longer = padBatch([[1, 5, 6], [1, 7]], { padId: 0, hasBos: true, seqLen: 5 });
  assert.equal(longer.seqLen, 5);
  assert.deepEqual(longer.ids, Int32Array.of(1, 5, 6, 0, 0, 1, 7, 0, 0, 0));
  assert.deepEqual(longer.mask, Uint8Array.of(1, 1, 1, 0, 0, 1, 1, 0, 0, 0));
  assert.deepEqual(longer.lengths, Int32Array.of(3, 2));

  const shorter = padBatch([[1, 2, 3, 4, 5], [1, 2]], { padId: 9, hasBos: true, seqLen: 3 });
  assert.equal(shorter.seqLen, 5);
  assert.deepEqual(shorter.ids, Int32Array.of(1, 2, 3, 4, 5, 1, 2, 9, 9, 9));
  assert.deepEqual(shorter.mask, Uint8Array.of(1, 1, 1, 1, 1, 1, 1, 0, 0, 0));
  assert.deepEqual(shorter.lengths, Int32Array.of(5, 2));

  const equal = padBatch([[4, 4], [3]], { padId: 0, hasBos: false, seqLen: 2 });
  assert.equal(equal.seqLen, 2);
  assert.deepEqual(equal.ids, Int32Array.of(4, 4, 3, 0));
});
