/**
 * trainBpe: merges worked out by hand on tiny corpora (counts, ties, minFrequency); then a 1000-id tokenizer trained
 * on every 10th Brown sentence, written to a folder and loaded through loadHfTokenizer (transformers.js), against an
 * independent naive BPE written here from GPT-2's definition (lowest-rank pair first, every occurrence, until none
 * applies) on held-out sentences and harder texts; exact round trips, BOS first, determinism, compression against the
 * byte tokenizer, the option errors, and Python `tokenizers` when it is installed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, DataError } from "@saeflow/core";
import { brownSentences } from "@saeflow/lm";
import { byteTokenizerFiles, trainBpe } from "@saeflow/tokenize";
import { loadTokenizerFiles, writeTokenizerFiles } from "./tokenizer_files.ts";
import { python, tempDir } from "../helpers.ts";

const brown = (await Array.fromAsync(brownSentences())).map((s) => s.text);
const training = brown.filter((_, i) => i % 10 === 0); // 5,734 sentences from all 15 genres
const heldOut = brown.filter((_, i) => i % 10 === 5).slice(0, 1500);
const hard = [
  "Café naïve résumé, Ærøskøbing — Straße, Ελληνικά, Русский текст, 中文字符, العربية",
  "🙂👍🏽🇩🇪 👨‍👩‍👧 emoji🎉in words",
  "a  b\t\tc\n\n  d   ",
  "   leading and trailing   ",
  "\n",
  "tabs\tand\r\nCRLF\u00a0nbsp\u2003em space",
  "It's they're we've I'm you'll he'd IT'S don't",
  "1234567890 3.14159 $1,000,000 50%",
];

const trained = await trainBpe(training, { vocabSize: 1000 });
const tokenizer = await loadTokenizerFiles(trained);
const json = JSON.parse(trained.tokenizerJson);

// ---- the naive reference: GPT-2's byte alphabet and merge loop, written from the paper's code, not from ours ----

/** GPT-2's bytes_to_unicode(): printable bytes keep their code point, the rest take 256, 257, … in byte order. */
function bytesToUnicode(): Map<number, string> {
  const bs: number[] = [];
  for (const [lo, hi] of [[0x21, 0x7e], [0xa1, 0xac], [0xae, 0xff]]) for (let b = lo; b <= hi; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  return new Map(bs.map((b, i) => [b, String.fromCodePoint(cs[i])]));
}
const BYTE_CHARS = bytesToUnicode();
const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** The ids of `text` (BOS first) by applying `merges` in rank order to each pre-tokenized word. */
function naiveEncode(text: string, vocab: Record<string, number>, merges: [string, string][]): number[] {
  const rank = new Map(merges.map(([a, b], i) => [`${a} ${b}`, i]));
  const ids = [vocab["<bos>"]];
  for (const word of text.match(GPT2_PATTERN) ?? []) {
    let parts = [...new TextEncoder().encode(word)].map((b) => BYTE_CHARS.get(b)!);
    for (;;) {
      let best = -1;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = rank.get(`${parts[i]} ${parts[i + 1]}`);
        if (r !== undefined && (best < 0 || r < rank.get(`${parts[best]} ${parts[best + 1]}`)!)) best = i;
      }
      if (best < 0) break;
      const [a, b] = [parts[best], parts[best + 1]];
      const next: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (i + 1 < parts.length && parts[i] === a && parts[i + 1] === b) next.push(a + b), i++;
        else next.push(parts[i]);
      }
      parts = next;
    }
    for (const part of parts) ids.push(vocab[part]);
  }
  return ids;
}

// ---- merges worked out by hand ----

Deno.test("trainBpe: the most frequent pair merges first, counted over word frequencies", async () => {
  // words: "ab" ×1, "Ġab" ×2, "abc" ×1 → (a,b) 4, (Ġ,a) 2, (b,c) 1; then (Ġ,ab) 2, (ab,c) 1
  const files = await trainBpe(["ab ab ab", "abc"], { vocabSize: 261, minFrequency: 1 });
  const { model } = JSON.parse(files.tokenizerJson);
  assert.deepEqual(model.merges, [["a", "b"], ["Ġ", "ab"]]);
  assert.equal(model.vocab["ab"], 259);
  assert.equal(model.vocab["Ġab"], 260);
  assert.equal(files.merges, 2);
  assert.equal(files.vocabSize, 261);
  // ids: specials, then byte b at 3 + b
  assert.deepEqual([model.vocab["<pad>"], model.vocab["<bos>"], model.vocab["<eos>"]], [0, 1, 2]);
  assert.equal(model.vocab["a"], 3 + 0x61);
  assert.equal(model.vocab["Ġ"], 3 + 0x20);
  assert.equal(model.vocab["Ā"], 3); // byte 0
  assert.equal(Object.keys(model.vocab).length, 261);
});

Deno.test("trainBpe: ties go to the smaller left, then right, token; minFrequency stops early", async () => {
  // "xy" and "Ġyx": (x,y), (Ġ,y), (y,x) all once; ASCII "x" < "y" < "Ġ" (U+0120)
  const files = await trainBpe(["xy yx"], { vocabSize: 300, minFrequency: 1 });
  const { model } = JSON.parse(files.tokenizerJson);
  assert.deepEqual(model.merges, [["x", "y"], ["y", "x"], ["Ġ", "yx"]]);
  assert.equal(files.vocabSize, 262); // every word is one token: nothing left to merge
  // a pair seen once is not merged by default
  const strict = await trainBpe(["xy yx", "ab ab"], { vocabSize: 300 }); // (a,b) twice, then (Ġ,ab) once
  assert.deepEqual(JSON.parse(strict.tokenizerJson).model.merges, [["a", "b"]]);
  assert.equal(strict.vocabSize, 260);
  // overlapping runs merge left to right, as encoding does: "aaaaa" → aa aa a; then (aa,a) before (aa,aa), "a" < "aa"
  const runs = await trainBpe(["aaaaa"], { vocabSize: 270, minFrequency: 1 });
  assert.deepEqual(JSON.parse(runs.tokenizerJson).model.merges, [["a", "a"], ["aa", "a"], ["aa", "aaa"]]);
});

Deno.test("trainBpe: the same merges as a naive trainer that recounts every pair after every merge", async () => {
  const texts = brown.slice(0, 400);
  const files = await trainBpe(texts, { vocabSize: 600 });
  // the naive trainer: word counts, then (count all pairs, take the best, merge it everywhere) until 600 ids
  const words = new Map<string, number>();
  for (const text of texts) {
    for (const w of text.match(GPT2_PATTERN) ?? []) {
      const key = [...new TextEncoder().encode(w)].map((b) => BYTE_CHARS.get(b)!).join("\u0000");
      words.set(key, (words.get(key) ?? 0) + 1);
    }
  }
  let parts = [...words].map(([key, count]) => ({ parts: key.split("\u0000"), count }));
  const merges: [string, string][] = [];
  const tokens = new Set<string>();
  while (259 + tokens.size < 600) {
    const pairs = new Map<string, number>();
    for (const w of parts) {
      for (let i = 0; i + 1 < w.parts.length; i++) {
        const key = `${w.parts[i]}\u0000${w.parts[i + 1]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + w.count);
      }
    }
    const ranked = [...pairs].map(([key, count]) => ({ pair: key.split("\u0000") as [string, string], count }))
      .sort((x, y) =>
        y.count - x.count || (x.pair[0] < y.pair[0] ? -1 : x.pair[0] > y.pair[0] ? 1 : 0) ||
        (x.pair[1] < y.pair[1] ? -1 : x.pair[1] > y.pair[1] ? 1 : 0)
      );
    if (ranked.length === 0 || ranked[0].count < 2) break;
    const [a, b] = ranked[0].pair;
    merges.push([a, b]);
    tokens.add(a + b);
    parts = parts.map((w) => {
      const next: string[] = [];
      for (let i = 0; i < w.parts.length; i++) {
        if (i + 1 < w.parts.length && w.parts[i] === a && w.parts[i + 1] === b) next.push(a + b), i++;
        else next.push(w.parts[i]);
      }
      return { parts: next, count: w.count };
    });
  }
  assert.equal(merges.length, 341);
  assert.deepEqual(JSON.parse(files.tokenizerJson).model.merges, merges);
});

// ---- the trained Brown tokenizer through transformers.js ----

Deno.test("trainBpe: a Brown tokenizer of 1000 ids loads through loadHfTokenizer with <bos> first", () => {
  assert.equal(trained.vocabSize, 1000);
  assert.equal(trained.merges, 741);
  assert.equal(tokenizer.vocabSize, 1000);
  assert.deepEqual([tokenizer.padId, tokenizer.bosId, tokenizer.eosId], [0, 1, 2]);
  assert.equal(tokenizer.addsBos, true);
  const vocab = json.model.vocab as Record<string, number>;
  assert.deepEqual(tokenizer.encode("The said"), [1, vocab["The"], vocab["Ġsaid"]]);
  assert.deepEqual(tokenizer.encode("The said", { addSpecialTokens: false }), [vocab["The"], vocab["Ġsaid"]]);
  assert.equal(tokenizer.decode([1, vocab["The"], vocab["Ġsaid"], 2, 0]), "The said");
  // as in every Hugging Face tokenizer, a special token spelled in the text is that token (and decode drops it)
  assert.deepEqual(tokenizer.encode("<eos>The"), [1, 2, vocab["The"]]);
  assert.equal(json.pre_tokenizer.type, "ByteLevel");
  assert.equal(json.model.merges.length, 741);
});

Deno.test("trainBpe: transformers.js encodes exactly like the naive BPE, held-out Brown and hard texts", () => {
  const texts = [...heldOut, ...hard];
  const mismatches = texts.filter((text) => {
    const expected = naiveEncode(text, json.model.vocab, json.model.merges);
    return JSON.stringify(tokenizer.encode(text)) !== JSON.stringify(expected);
  });
  assert.deepEqual(mismatches, []);
  // the naive ids are real: every one is in the vocabulary
  assert.ok(texts.every((t) => naiveEncode(t, json.model.vocab, json.model.merges).every((id) => id >= 0)));
});

Deno.test("trainBpe: decode(encode(x)) === x for Brown text, accents, emoji and whitespace runs", () => {
  const failures = [...heldOut, ...hard].filter((text) => tokenizer.decode(tokenizer.encode(text)) !== text);
  assert.deepEqual(failures, []);
});

Deno.test("trainBpe: the same texts give byte-identical files, from an array or an async iterable", async () => {
  async function* streamed() {
    for (const text of training) yield text;
  }
  const again = await trainBpe(streamed(), { vocabSize: 1000 });
  assert.equal(again.tokenizerJson, trained.tokenizerJson);
  assert.equal(again.tokenizerConfigJson, trained.tokenizerConfigJson);
  // number-like tokens stay in id order in the file (a plain object would move them first)
  const ids = Object.values(json.model.vocab as Record<string, number>);
  const section = trained.tokenizerJson.slice(trained.tokenizerJson.indexOf('"vocab": {'));
  const order = [...section.slice(0, section.indexOf("\n  }")).matchAll(/": (\d+),?$/gm)].map((m) => Number(m[1]));
  assert.deepEqual(order, ids.toSorted((a, b) => a - b));
});

Deno.test("trainBpe: held-out Brown takes far fewer tokens per word than the byte tokenizer", async () => {
  const bytes = await loadTokenizerFiles(byteTokenizerFiles());
  const words = heldOut.reduce((sum, text) => sum + text.split(/\s+/).length, 0);
  const count = (t: typeof tokenizer) =>
    heldOut.reduce((sum, text) => sum + t.encode(text, { addSpecialTokens: false }).length, 0);
  const [bpePerWord, bytePerWord] = [count(tokenizer) / words, count(bytes) / words];
  assert.ok(bytePerWord > 5 && bytePerWord < 7, `bytes per word ${bytePerWord}`);
  assert.ok(bpePerWord < 0.4 * bytePerWord, `BPE ${bpePerWord} vs bytes ${bytePerWord} tokens per word`);
});

Deno.test("trainBpe: impossible options are ConfigErrors, a non-string text a DataError", async () => {
  for (const vocabSize of [258, 0, 1000.5, NaN, 2 ** 21]) {
    await assert.rejects(
      () => trainBpe(["abc"], { vocabSize }),
      (e) => e instanceof ConfigError && e.message.includes(`vocabSize ${vocabSize}`) && e.message.includes("259"),
    );
  }
  await assert.rejects(() => trainBpe(["abc"], { vocabSize: 300, minFrequency: 0 }), ConfigError);
  await assert.rejects(
    () => trainBpe(["abc", 7 as unknown as string], { vocabSize: 300 }),
    (e) => e instanceof DataError && e.message.includes("record 2") && e.message.includes("strings"),
  );
  // no text at all still makes a working byte-level tokenizer
  const empty = await trainBpe([], { vocabSize: 500 });
  assert.equal(empty.vocabSize, 259);
  assert.equal(empty.merges, 0);
});

const pythonTokenizers = await new Deno.Command(Deno.env.get("SAEFLOW_PYTHON") || "python3", {
  args: ["-c", "import tokenizers"],
  stdout: "null",
  stderr: "null",
}).output().then((r) => r.success, () => false);

Deno.test({
  name: "trainBpe: Python tokenizers loads the same files and encodes the same ids",
  ignore: !pythonTokenizers,
  async fn() {
    await using dir = await tempDir();
    await writeTokenizerFiles(dir.path, trained);
    const texts = [...heldOut.slice(0, 300), ...hard];
    const ids = await python<number[][]>(
      "import json, sys\nfrom tokenizers import Tokenizer\n" +
        "t = Tokenizer.from_file(sys.argv[1])\n" +
        "print(json.dumps([t.encode(x).ids for x in json.loads(sys.argv[2])]))",
      join(dir.path, "tokenizer.json"),
      JSON.stringify(texts),
    );
    assert.deepEqual(ids, texts.map((text) => tokenizer.encode(text)));
  },
});
