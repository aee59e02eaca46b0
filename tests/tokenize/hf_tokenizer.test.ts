import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, DataError } from "@saeflow/core";
import { openTextDataset } from "@saeflow/io";
import { loadHfTokenizer } from "@saeflow/tokenize";
import { sharedData, tempDir } from "../helpers.ts";
import { GEMMA } from "./fixtures.ts";

const gemma = await loadHfTokenizer(GEMMA);

const lines = (relative: string) =>
  Deno.readTextFileSync(sharedData(relative)).split("\n").map((l) => l.replace(/\r$/, "")).filter((l) => l !== "");

Deno.test("Gemma: 'Hello, world' is [<bos>, Hello, ',', ' world']; special ids from the config", () => {
  assert.deepEqual(gemma.encode("Hello, world"), [2, 4521, 235269, 2134]);
  assert.deepEqual(gemma.encode("Hello, world", { addSpecialTokens: false }), [4521, 235269, 2134]);
  assert.equal(gemma.vocabSize, 256000);
  assert.equal(gemma.bosId, 2);
  assert.equal(gemma.eosId, 1);
  assert.equal(gemma.padId, 0); // <pad>
  assert.equal(gemma.addsBos, true);
  assert.equal(gemma.name, GEMMA);
  assert.equal(gemma.revision, undefined);
});

Deno.test("Gemma: German, Arabic, Hindi, Chinese, Russian and emoji texts round-trip exactly", async () => {
  const texts = [
    ...lines("xlm-t-sentiment/german/test_text.txt"),
    ...lines("xlm-t-sentiment/arabic/test_text.txt"),
    ...lines("xlm-t-sentiment/hindi/test_text.txt"),
    ...lines("cold-chinese-offensive/test.csv").slice(1, 500).map((l) => l.split(",").slice(5).join(",")),
    ...lines("tweeteval/emotion/test_text.txt").filter((l) => /\p{Extended_Pictographic}/u.test(l)),
    "🙂👍🏽🇩🇪 👨‍👩‍👧",
  ];
  const { records } = await openTextDataset({
    sources: [{ path: sharedData("jailbreak-classification/jailbreak_dataset_train_balanced.csv") }],
    fields: { text: "prompt" },
  });
  const russian = (await Array.fromAsync(records)).map((r) => r.text).filter((t) => /[а-яА-Я]{5}/.test(t));
  assert.ok(russian.length >= 1);
  texts.push(...russian);
  const failures = texts.filter((text) => gemma.decode(gemma.encode(text)) !== text);
  assert.deepEqual(failures, []);
  // every row starts with BOS, which decode leaves out
  assert.ok(texts.every((text) => gemma.encode(text)[0] === 2));
});

Deno.test("Gemma: the chat template is the config's, rendered as one user turn with the generation prompt", async () => {
  const config = JSON.parse(await Deno.readTextFile(join(GEMMA, "tokenizer_config.json")));
  assert.equal(gemma.chatTemplate, config.chat_template);
  const rendered = gemma.applyChatTemplate("Is this review positive?");
  assert.equal(rendered, "<bos><start_of_turn>user\nIs this review positive?<end_of_turn>\n<start_of_turn>model\n");
  const ids = gemma.encode(rendered, { addSpecialTokens: false });
  assert.deepEqual(ids.slice(0, 2), [2, 106]); // one <bos> (from the template), then <start_of_turn>
});

/** A Gemma folder with another tokenizer_config.json (and optionally a special_tokens_map.json, a tokenizer.json). */
async function variant(
  dir: string,
  change: (config: Record<string, unknown>) => void,
  specialTokens?: object,
  changeTokenizer?: (tokenizer: Record<string, unknown>) => void,
) {
  if (changeTokenizer) {
    const tokenizer = JSON.parse(await Deno.readTextFile(join(GEMMA, "tokenizer.json")));
    changeTokenizer(tokenizer);
    await Deno.writeTextFile(join(dir, "tokenizer.json"), JSON.stringify(tokenizer));
  } else await Deno.symlink(join(GEMMA, "tokenizer.json"), join(dir, "tokenizer.json"));
  const config = JSON.parse(await Deno.readTextFile(join(GEMMA, "tokenizer_config.json")));
  change(config);
  await Deno.writeTextFile(join(dir, "tokenizer_config.json"), JSON.stringify(config));
  if (specialTokens) await Deno.writeTextFile(join(dir, "special_tokens_map.json"), JSON.stringify(specialTokens));
  return await loadHfTokenizer(dir);
}

Deno.test("pad id: the config's pad token, else special_tokens_map.json's, else EOS", async () => {
  await using a = await tempDir();
  const fromMap = await variant(a.path, (c) => delete c.pad_token, { pad_token: { content: "<unk>" } });
  assert.equal(fromMap.padId, 3);
  await using b = await tempDir();
  assert.equal((await variant(b.path, (c) => delete c.pad_token)).padId, 1);
});

Deno.test("add_bos_token in the config wins over the post-processor, both ways; addsBos tells", async () => {
  await using a = await tempDir();
  const noBos = await variant(a.path, (c) => c.add_bos_token = false); // tokenizer.json still prepends <bos>
  assert.deepEqual(noBos.encode("Hello, world"), [4521, 235269, 2134]);
  assert.deepEqual(noBos.encode("<bos>Hello"), [2, 4521]); // a BOS the text spells stays
  assert.equal(noBos.addsBos, false);
  await using b = await tempDir();
  const unsaid = await variant(b.path, (c) => delete c.add_bos_token); // then the post-processor decides
  assert.deepEqual(unsaid.encode("Hello, world"), [2, 4521, 235269, 2134]);
  assert.equal(unsaid.addsBos, true);
  // a tokenizer.json without a post-processor (older Llama exports): the config's flag adds BOS, or nothing does
  const noPostProcessor = (t: Record<string, unknown>) => t.post_processor = null;
  await using c = await tempDir();
  const added = await variant(c.path, (c) => c.add_bos_token = true, undefined, noPostProcessor);
  assert.deepEqual(added.encode("Hello, world"), [2, 4521, 235269, 2134]);
  assert.deepEqual(added.encode("Hello, world", { addSpecialTokens: false }), [4521, 235269, 2134]);
  assert.equal(added.addsBos, true);
  await using d = await tempDir();
  const none = await variant(d.path, (c) => delete c.add_bos_token, undefined, noPostProcessor);
  assert.deepEqual(none.encode("Hello, world"), [4521, 235269, 2134]);
  assert.equal(none.addsBos, false);
});

Deno.test("a folder without tokenizer files, or a name that is neither folder nor id, is a ConfigError", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(join(dir.path, "tokenizer.json"), "{}");
  await assert.rejects(
    loadHfTokenizer(dir.path),
    (e) => e instanceof ConfigError && e.message.includes("has no tokenizer_config.json"),
  );
  await assert.rejects(loadHfTokenizer("./no/such/folder"), ConfigError);
  await assert.rejects(loadHfTokenizer("not a model id"), ConfigError);
});

Deno.test("a corrupt tokenizer.json is a DataError naming the folder", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(join(dir.path, "tokenizer.json"), "{ not json");
  await Deno.copyFile(join(GEMMA, "tokenizer_config.json"), join(dir.path, "tokenizer_config.json"));
  await assert.rejects(
    loadHfTokenizer(dir.path),
    (e) => e instanceof DataError && e.message.startsWith(`${dir.path}: cannot load the tokenizer`),
  );
});
