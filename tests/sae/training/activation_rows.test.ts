/**
 * Activation batches → row blocks: the rows are the real tokens' activations in order (checked against a naive loop
 * over the mask, and against saeEncode's own gathering on a real stories260K forward pass), BOS is dropped by
 * default, and a bad value names the record and position.
 */
import assert from "node:assert/strict";
import { DataError, type TextRecord } from "@saeflow/core";
import { type ActivationBatch, ForwardStream, loadDecoder } from "@saeflow/forward";
import { openTextDataset } from "@saeflow/io";
import { realTokenRows } from "@saeflow/sae";
import { loadLlama2cTokenizer, padBatch, type TokenBatch, TokenizeStream } from "@saeflow/tokenize";
import { activationRows, ActivationRowsStream, type RowBlock } from "@saeflow/sae";
import { sharedData, sharedModel } from "../../helpers.ts";
import { mulberry32 } from "../../random.ts";

const HOOK = "blocks.2.hook_resid_post";

/** A batch of random activations whose mask is any pattern (left padding, holes), not only a prefix. */
function randomBatch(mask: number[][], dModel: number, hasBos: boolean, seed: number): ActivationBatch {
  const random = mulberry32(seed);
  const batchSize = mask.length, seqLen = mask[0].length;
  const tokens: TokenBatch = {
    ids: new Int32Array(batchSize * seqLen),
    mask: Uint8Array.from(mask.flat()),
    lengths: Int32Array.from(mask, (row) => row.reduce((a, b) => a + b, 0)),
    batchSize,
    seqLen,
    padId: 0,
    hasBos,
    records: mask.map((_, i) => ({ id: `r${i}`, text: "" })),
    truncated: mask.map(() => false),
  };
  const values = Float32Array.from({ length: batchSize * seqLen * dModel }, () => random() * 8 - 4);
  return { tokens, activations: new Map([[HOOK, values], ["other", new Float32Array(values.length)]]), dModel };
}

/** The reference: every (row, position) whose mask is 1, BOS position left out when asked, as number arrays. */
function naiveRows(batch: ActivationBatch, skipBos: boolean): number[][] {
  const { mask, batchSize, seqLen, hasBos } = batch.tokens;
  const d = batch.dModel, values = batch.activations.get(HOOK)!;
  const out: number[][] = [];
  for (let b = 0; b < batchSize; b++) {
    for (let p = 0; p < seqLen; p++) {
      if (mask[b * seqLen + p] === 1 && !(skipBos && hasBos && p === 0)) {
        out.push(Array.from(values.subarray((b * seqLen + p) * d, (b * seqLen + p + 1) * d)));
      }
    }
  }
  return out;
}

function blockRows({ rows, count, dIn }: RowBlock): number[][] {
  assert.equal(rows.length, count * dIn);
  return Array.from({ length: count }, (_, i) => Array.from(rows.subarray(i * dIn, (i + 1) * dIn)));
}

async function collect(batches: ActivationBatch[], options: { hook: string; skipBos?: boolean }): Promise<RowBlock[]> {
  return await Array.fromAsync(ReadableStream.from(batches).pipeThrough(new ActivationRowsStream(options)));
}

Deno.test("rows are the mask's real tokens in order, BOS dropped by default and kept on request", async () => {
  const mask = [[1, 1, 1, 0, 0], [0, 0, 1, 1, 1], [1, 0, 1, 0, 1], [1, 1, 1, 1, 1]];
  for (const hasBos of [true, false]) {
    const batch = randomBatch(mask, 3, hasBos, 11);
    for (const skipBos of [undefined, true, false]) {
      const [block, ...rest] = await collect([batch], { hook: HOOK, skipBos });
      assert.equal(rest.length, 0);
      assert.deepEqual(blockRows(block), naiveRows(batch, skipBos ?? true), `hasBos ${hasBos}, skipBos ${skipBos}`);
      const bosRows = hasBos && (skipBos ?? true) ? 3 : 0; // rows 0, 2 and 3 have a real position 0
      assert.equal(block.count, 14 - bosRows);
    }
  }
});

Deno.test("rows are copies: changing the model's output afterwards does not change them", () => {
  const batch = randomBatch([[1, 1]], 2, false, 3);
  const block = activationRows(batch, { hook: HOOK });
  const before = Array.from(block.rows);
  batch.activations.get(HOOK)!.fill(0);
  assert.deepEqual(Array.from(block.rows), before);
});

Deno.test("a batch with nothing left after BOS emits no block", async () => {
  const batches = [randomBatch([[1, 0], [1, 0]], 4, true, 1), randomBatch([[1, 1]], 4, true, 2)];
  const blocks = await collect(batches, { hook: HOOK });
  assert.equal(blocks.length, 1);
  assert.deepEqual(blockRows(blocks[0]), naiveRows(batches[1], true));
});

Deno.test("a non-finite activation names the record and position; an unknown hook lists the batch's hooks", async () => {
  const batch = randomBatch([[1, 1, 1], [1, 1, 0]], 4, true, 5);
  batch.activations.get(HOOK)![(1 * 3 + 1) * 4 + 2] = Infinity;
  await assert.rejects(
    collect([batch], { hook: HOOK }),
    (e) => e instanceof DataError && /id "r1".*activation Infinity at position 1, dimension 2/.test(e.message),
  );
  assert.throws(() => activationRows(batch, { hook: "blocks.9.hook_resid_post" }), /the batch has blocks\.2/);
});

Deno.test("stories260K on sst2: the rows equal saeEncode's real-token rows, less the BOS rows", async () => {
  const tokenizer = await loadLlama2cTokenizer(sharedModel("stories260K/tok512.bin"));
  const model = await loadDecoder(sharedModel("stories260K/stories260K.bin"), { hooks: [HOOK] });
  try {
    const { records } = await openTextDataset({
      sources: [{ path: sharedData("sst2/sst2_dev.tsv"), split: "validation" }],
      fields: { text: "text", label: "label" },
    });
    const texts: TextRecord[] = (await Array.fromAsync(records)).slice(0, 12);
    const batches = await Array.fromAsync(
      ReadableStream.from(texts)
        .pipeThrough(new TokenizeStream({ tokenizer, maxTokens: 32, batchSize: 5 }))
        .pipeThrough(new ForwardStream({ model })),
    );
    const kept = await collect(batches, { hook: HOOK, skipBos: false });
    const skipped = await collect(batches, { hook: HOOK });
    assert.equal(kept.length, batches.length);
    for (const [i, batch] of batches.entries()) {
      assert.ok(batch.tokens.hasBos);
      assert.deepEqual(kept[i].rows, realTokenRows(batch, HOOK));
      assert.equal(skipped[i].count, kept[i].count - batch.tokens.batchSize);
      assert.deepEqual(blockRows(skipped[i]), naiveRows(batch, true));
    }
  } finally {
    await model.release();
  }
});

Deno.test("padBatch batches: one row per real token", () => {
  const tokens = padBatch([[1, 2, 3], [4]], { padId: 0, hasBos: false });
  const values = Float32Array.from({ length: 2 * 3 * 2 }, (_, i) => i);
  const block = activationRows({ tokens, activations: new Map([[HOOK, values]]), dModel: 2 }, { hook: HOOK });
  assert.deepEqual(Array.from(block.rows), [0, 1, 2, 3, 4, 5, 6, 7]);
});
