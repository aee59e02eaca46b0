/**
 * A byte-level tokenizer as Hugging Face files (`tokenizer.json` + `tokenizer_config.json`) that transformers.js
 * and Python `tokenizers` both load: a BPE model with no merges and byte fallback, so every text becomes its UTF-8
 * bytes (ids 3..258) after `<bos>`. It needs no training and covers every language, which makes it the tokenizer of
 * the project's own small models until one with merges is trained.
 * @module
 */

import { bpeModel, hfTokenizer, SPECIAL_TOKENS, TOKENIZER_CONFIG } from "./hf_tokenizer_parts.ts";

/** Ids of the special tokens. */
export const BYTE_TOKENIZER_SPECIALS = { pad: 0, bos: 1, eos: 2 } as const;
/** 3 specials + 256 bytes. */
export const BYTE_TOKENIZER_VOCAB_SIZE = 259;

const byteToken = (b: number) => `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;

/**
 * The two files' contents, as JSON strings.
 *
 * @example
 * ```ts
 * const { tokenizerJson, tokenizerConfigJson } = byteTokenizerFiles();
 * await Deno.writeTextFile("model/tokenizer.json", tokenizerJson);
 * await Deno.writeTextFile("model/tokenizer_config.json", tokenizerConfigJson);
 * (await loadHfTokenizer("model")).encode("hé"); // [1, 107, 198, 172]
 * ```
 */
export function byteTokenizerFiles(): { tokenizerJson: string; tokenizerConfigJson: string } {
  const vocab: Record<string, number> = Object.fromEntries(SPECIAL_TOKENS.map((token, id) => [token, id]));
  for (let b = 0; b < 256; b++) vocab[byteToken(b)] = b + 3;
  const tokenizer = hfTokenizer({
    preTokenizer: null,
    decoder: { type: "Sequence", decoders: [{ type: "ByteFallback" }, { type: "Fuse" }] },
    model: bpeModel(vocab, [], true),
  });
  return {
    tokenizerJson: JSON.stringify(tokenizer, null, 1) + "\n",
    tokenizerConfigJson: JSON.stringify(TOKENIZER_CONFIG, null, 2) + "\n",
  };
}
