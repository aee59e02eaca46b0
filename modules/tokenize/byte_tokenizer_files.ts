/**
 * A byte-level tokenizer as Hugging Face files (`tokenizer.json` + `tokenizer_config.json`) that transformers.js
 * and Python `tokenizers` both load: a BPE model with no merges and byte fallback, so every text becomes its UTF-8
 * bytes (ids 3..258) after `<bos>`. It needs no training and covers every language, which makes it the tokenizer of
 * the project's own small models until one with merges is trained.
 * @module
 */

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
  const specials = [["<pad>", 0], ["<bos>", 1], ["<eos>", 2]] as const;
  const vocab: Record<string, number> = Object.fromEntries(specials);
  for (let b = 0; b < 256; b++) vocab[byteToken(b)] = b + 3;
  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specials.map(([content, id]) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: null,
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<bos>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [
        { SpecialToken: { id: "<bos>", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { Sequence: { id: "B", type_id: 0 } },
      ],
      special_tokens: { "<bos>": { id: "<bos>", ids: [1], tokens: ["<bos>"] } },
    },
    decoder: { type: "Sequence", decoders: [{ type: "ByteFallback" }, { type: "Fuse" }] },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: true,
      ignore_merges: false,
      vocab,
      merges: [],
    },
  };
  const config = {
    tokenizer_class: "PreTrainedTokenizerFast",
    add_bos_token: true,
    add_eos_token: false,
    bos_token: "<bos>",
    eos_token: "<eos>",
    pad_token: "<pad>",
    model_max_length: 1024,
    clean_up_tokenization_spaces: false,
  };
  return {
    tokenizerJson: JSON.stringify(tokenizer, null, 1) + "\n",
    tokenizerConfigJson: JSON.stringify(config, null, 2) + "\n",
  };
}
