import assert from "node:assert/strict";
import { join } from "node:path";
import { DataError } from "@saeflow/core";
import { openTextDataset } from "@saeflow/io";
import { Llama2cTokenizer, loadLlama2cTokenizer } from "@saeflow/tokenize";
import { python, sharedData, tempDir } from "../helpers.ts";
import { TOK512 } from "./fixtures.ts";

const REFERENCE = new URL("./llama2c_reference.py", import.meta.url).pathname;
const tokenizer = await loadLlama2cTokenizer(TOK512, { vocabSize: 512 });

/** Lines of a shared line file (or the text column of a JSON array), non-empty. */
function lines(relative: string, limit = Infinity): string[] {
  const text = Deno.readTextFileSync(sharedData(relative));
  const all = relative.endsWith(".json")
    ? (JSON.parse(text) as { text: string }[]).map((r) => r.text)
    : text.split("\n").map((l) => l.replace(/\r$/, ""));
  return all.filter((l) => l.trim() !== "").slice(0, limit);
}

/** The text column of a CSV whose last column is the text (COLD), without a CSV parser: the texts have no commas. */
function chineseLines(limit: number): string[] {
  return lines("cold-chinese-offensive/test.csv").slice(1).map((l) => l.split(",").slice(5).join(",")).slice(0, limit);
}

Deno.test("tok512: 512 pieces, BOS 1, EOS 2, byte fallback at 3..258, the header's max_token_length", () => {
  assert.equal(tokenizer.vocabSize, 512);
  assert.equal(tokenizer.bosId, 1);
  assert.equal(tokenizer.eosId, 2);
  assert.equal(tokenizer.padId, 2);
  assert.equal(tokenizer.addsBos, true);
  assert.equal(tokenizer.maxTokenLength, 7);
  assert.equal(new TextDecoder().decode(tokenizer.pieces[3]), "<0x00>");
  assert.equal(new TextDecoder().decode(tokenizer.pieces[258]), "<0xFF>");
  assert.equal(tokenizer.name, TOK512);
});

Deno.test("hand-computed: 'a' is BOS + ' a'; the empty text is BOS alone; no BOS without special tokens", () => {
  // " " (dummy prefix) + "a": the only adjacent pair is " a", which is piece 261 (score -2) in tok512.
  assert.equal(new TextDecoder().decode(tokenizer.pieces[261]), " a");
  assert.deepEqual(tokenizer.encode("a"), [1, 261]);
  assert.deepEqual(tokenizer.encode(""), [1]);
  assert.deepEqual(tokenizer.encode("a", { addSpecialTokens: false }), [261]);
  assert.deepEqual(tokenizer.encode("", { addSpecialTokens: false }), []);
});

Deno.test("hand-computed: the best-scoring pair merges first, the leftmost on ties", () => {
  const pieces = (ids: number[]) => ids.map((id) => new TextDecoder().decode(tokenizer.pieces[id]));
  // " the" (-6) is built from " t" (-0, the best score in the file) + "he" (-1)
  assert.deepEqual(pieces(tokenizer.encode("the", { addSpecialTokens: false })), [" the"]);
  const ids = tokenizer.encode("Once upon a time");
  assert.equal(tokenizer.decode(ids), "Once upon a time");
  assert.deepEqual(pieces(ids.slice(1)).join(""), " Once upon a time");
});

Deno.test("ids equal an independent Python transcription of run.c encode() on 300 real sentences + long texts", async () => {
  const { records } = await openTextDataset({
    sources: [{ path: sharedData("jailbreak-classification/jailbreak_dataset_train_balanced.csv") }],
    fields: { text: "prompt" },
  });
  const prompts = (await Array.fromAsync(records)).map((r) => r.text).filter((t) => t.length > 300 && t.length < 1000);
  // ties everywhere: the leftmost of equally scored pairs must merge first
  const repetitive = ["a".repeat(50), " ".repeat(33), "ab".repeat(40), "the the the the", "ttttheeee  eeeh  "];
  const texts = [
    ...lines("sst2/sst2_dev.tsv", 101).slice(1).map((l) => l.split("\t")[0]),
    ...lines("uci-sentiment-labelled-sentences/amazon.json", 100),
    ...lines("xlm-t-sentiment/german/test_text.txt", 40),
    ...lines("xlm-t-sentiment/arabic/test_text.txt", 20),
    ...chineseLines(20),
    ...lines("tweeteval/emotion/test_text.txt", 20),
  ];
  assert.equal(texts.length, 300);
  assert.ok(prompts.length >= 5);
  texts.push(...prompts.slice(0, 5), ...repetitive);
  await using dir = await tempDir();
  const input = join(dir.path, "texts.json");
  await Deno.writeTextFile(input, JSON.stringify(texts));
  const expected = await python<number[][]>(await Deno.readTextFile(REFERENCE), TOK512, input);
  const mismatches = texts.filter((text, i) => JSON.stringify(tokenizer.encode(text)) !== JSON.stringify(expected[i]));
  assert.deepEqual(mismatches, []);
});

Deno.test("round trips: decode(encode(x)) === x on every SST-2 and Amazon sentence", () => {
  const texts = [
    ...lines("sst2/sst2_dev.tsv").slice(1).map((l) => l.split("\t")[0]),
    ...lines("uci-sentiment-labelled-sentences/amazon.json"),
  ];
  assert.ok(texts.length > 1800);
  for (const text of texts) assert.equal(tokenizer.decode(tokenizer.encode(text)), text);
});

Deno.test("byte fallback: ü, emoji, Chinese, Arabic round-trip through <0xXX> pieces", () => {
  for (
    const text of ["café é ü", "🙂👍🏽 ok", "只要不来中国", "  two leading spaces", "tab\tnew\nline", ...chineseLines(50)]
  ) {
    assert.equal(tokenizer.decode(tokenizer.encode(text)), text, text);
  }
  for (const text of lines("xlm-t-sentiment/arabic/test_text.txt", 50)) {
    assert.equal(tokenizer.decode(tokenizer.encode(text)), text);
  }
  // ü has no piece in tok512 (é does: 485): its UTF-8 bytes 0xC3 0xBC fall back to ids 0xC3 + 3 and 0xBC + 3
  assert.equal(new TextDecoder().decode(tokenizer.pieces[410]), " ");
  assert.deepEqual(tokenizer.encode("ü", { addSpecialTokens: false }), [410, 0xc3 + 3, 0xbc + 3]);
  assert.deepEqual(tokenizer.encode("é", { addSpecialTokens: false }).slice(1), [485]);
});

Deno.test("decode: BOS and EOS are left out; the space after BOS is dropped, a <0x20> byte piece is kept", () => {
  const spaceA = tokenizer.encode("a", { addSpecialTokens: false }); // [" a"]
  assert.equal(tokenizer.decode([1, ...spaceA, 2]), "a");
  assert.equal(tokenizer.decode([...spaceA, ...spaceA]), "a a");
  assert.equal(tokenizer.decode([1, 0x20 + 3, ...spaceA]), "  a");
  assert.throws(() => tokenizer.decode([512]), RangeError);
});

Deno.test("a truncated or corrupt file fails with a DataError naming the file and the byte offset", async () => {
  const bytes = await Deno.readFile(TOK512);
  const parse = (b: Uint8Array, vocabSize?: number) => Llama2cTokenizer.fromBytes(b, { name: "tok512.bin", vocabSize });
  const rejects = (b: Uint8Array, pattern: RegExp, vocabSize?: number) =>
    assert.throws(() => parse(b, vocabSize), (e) => e instanceof DataError && pattern.test(e.message));
  rejects(bytes.slice(0, 2), /^tok512\.bin: byte offset 0: file of 2 bytes has no header/);
  rejects(bytes.slice(0, 10), /^tok512\.bin: byte offset 4: truncated in the header of token 0/);
  rejects(bytes.slice(0, bytes.length - 1), /^tok512\.bin: byte offset 6\d\d\d: truncated in token 511: 3 bytes/);
  rejects(bytes, /file ends after 512 tokens; expected 600 tokens/, 600);
  rejects(bytes.slice(0, 1000), /byte offset 9\d\d: truncated/, 512);
  rejects(new Uint8Array([...bytes, 0]), /byte offset 6227: 1 bytes left after 512 tokens/, 512);
  const badLength = bytes.slice();
  new DataView(badLength.buffer).setInt32(8, 99, true); // token 0's length, beyond max_token_length 7
  rejects(badLength, /byte offset 8: token 0 has length 99; expected 0\.\.7/);
  const noFallback = bytes.slice();
  noFallback[4 + 8 + 5 + 8 + 5 + 8 + 6 + 8 + 3] = "1".charCodeAt(0); // "<0x00>" → "<0x10>" at id 3
  rejects(noFallback, /token 3 is "<0x10>"; expected byte-fallback piece "<0x00>"/);
});
