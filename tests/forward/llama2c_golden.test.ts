/**
 * stories260K, a real pretrained llama2.c model: greedy decoding from BOS alone must reproduce the golden output
 * published with it (../shared/models/stories260K/GOLDEN.txt) character for character.
 */
import assert from "node:assert/strict";
import { loadDecoder } from "@saeflow/forward";
import { loadLlama2cTokenizer, padBatch } from "@saeflow/tokenize";
import { sharedModel } from "../helpers.ts";

Deno.test("stories260K: 256 greedy steps from BOS reproduce GOLDEN.txt exactly", async () => {
  const tokenizer = await loadLlama2cTokenizer(sharedModel("stories260K/tok512.bin"));
  const model = await loadDecoder(sharedModel("stories260K/stories260K.bin"), {
    hooks: ["blocks.4.hook_resid_post"],
    logits: true,
  });
  try {
    const ids = [tokenizer.bosId];
    const vocab = model.info.vocabSize!;
    for (let step = 0; step < 256; step++) {
      const { logits } = await model.run(padBatch([ids], { padId: tokenizer.padId, hasBos: true }));
      const last = logits!.subarray((ids.length - 1) * vocab, ids.length * vocab);
      const next = last.indexOf(Math.max(...last));
      if (next === tokenizer.bosId) break; // llama2.c's run.c stops on BOS
      ids.push(next);
    }
    const golden = await Deno.readTextFile(sharedModel("stories260K/GOLDEN.txt"));
    assert.equal(tokenizer.decode(ids), golden.replace(/\n$/, ""));
    assert.equal(ids.length, 257, "all 256 steps ran");
  } finally {
    await model.release();
  }
});
