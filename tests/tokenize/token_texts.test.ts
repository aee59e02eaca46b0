/** tokenTexts: each token's text in place, on the real SentencePiece and byte-level BPE tokenizers. */
import assert from "node:assert/strict";
import { loadLlama2cTokenizer, tokenTexts, trainBpe } from "@saeflow/tokenize";
import { loadTokenizerFiles } from "./tokenizer_files.ts";
import { sharedModel } from "../helpers.ts";

Deno.test("tokenTexts keeps SentencePiece's spaces and gives a split character to the token that completes it", async () => {
  const tokenizer = await loadLlama2cTokenizer(sharedModel("stories260K/tok512.bin"));
  const ids = tokenizer.encode("Once upon a time, a naïve cat").filter((id) => id !== tokenizer.bosId);
  const texts = tokenTexts(tokenizer, ids);
  assert.equal(texts.length, ids.length);
  assert.equal(texts.join(""), "Once upon a time, a naïve cat");
  assert.deepEqual(texts.slice(0, 4), ["Once", " upon", " a", " time"]);
  assert.equal(tokenizer.decode([ids[1]]), "upon", "decoded alone, a piece loses its space");
  const split = texts.indexOf("ï");
  assert.ok(split > 0 && texts[split - 1] === "", "ï is two byte tokens: the first shows nothing");
});

Deno.test("tokenTexts on a byte-level BPE: the parts join to the text, spaces and all", async () => {
  const tokenizer = await loadTokenizerFiles(
    await trainBpe(["the cat sat on the mat", "a naïve café, the cat"], { vocabSize: 280, minFrequency: 1 }),
  );
  const text = "the naïve cat sat";
  const ids = tokenizer.encode(text).filter((id) => id !== tokenizer.bosId);
  const texts = tokenTexts(tokenizer, ids);
  assert.equal(texts.join(""), text);
  assert.ok(texts.includes(" cat") && texts.includes(" sat"), JSON.stringify(texts));
  // "ü" never occurs in the training text: two byte tokens. Cut between them, the stray byte shows as nothing.
  const uber = tokenizer.encode("über", { addSpecialTokens: false });
  assert.equal(tokenTexts(tokenizer, uber).join(""), "über");
  assert.deepEqual(tokenTexts(tokenizer, uber.slice(1)).join(""), "ber");
});
