/**
 * The parts of a Hugging Face `tokenizer.json` / `tokenizer_config.json` that the project's own tokenizers share
 * (the byte tokenizer and trained BPE): the specials `<pad>` 0, `<bos>` 1, `<eos>` 2, a post-processor that puts
 * `<bos>` first, a BPE model section, and the config.
 * @module
 */

/** The specials, by id. */
export const SPECIAL_TOKENS = ["<pad>", "<bos>", "<eos>"] as const;

/** `added_tokens` for the specials. */
export function specialAddedTokens(): object[] {
  return SPECIAL_TOKENS.map((content, id) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
}

/** A TemplateProcessing post-processor that puts `<bos>` (id 1) before the text. */
export const BOS_FIRST = {
  type: "TemplateProcessing",
  single: [{ SpecialToken: { id: "<bos>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
  pair: [
    { SpecialToken: { id: "<bos>", type_id: 0 } },
    { Sequence: { id: "A", type_id: 0 } },
    { Sequence: { id: "B", type_id: 0 } },
  ],
  special_tokens: { "<bos>": { id: "<bos>", ids: [1], tokens: ["<bos>"] } },
} as const;

/** The `model` section of a BPE tokenizer. */
export function bpeModel(vocab: unknown, merges: unknown, byteFallback: boolean): object {
  return {
    type: "BPE",
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: false,
    byte_fallback: byteFallback,
    ignore_merges: false,
    vocab,
    merges,
  };
}

/** A whole `tokenizer.json` object: the specials, `<bos>` first, and the given pre-tokenizer, decoder and model. */
export function hfTokenizer(parts: { preTokenizer: object | null; decoder: object; model: object }): object {
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specialAddedTokens(),
    normalizer: null,
    pre_tokenizer: parts.preTokenizer,
    post_processor: BOS_FIRST,
    decoder: parts.decoder,
    model: parts.model,
  };
}

/** `tokenizer_config.json`: BOS added, the specials named. */
export const TOKENIZER_CONFIG = {
  tokenizer_class: "PreTrainedTokenizerFast",
  add_bos_token: true,
  add_eos_token: false,
  bos_token: "<bos>",
  eos_token: "<eos>",
  pad_token: "<pad>",
  model_max_length: 1024,
  // transformers.js would otherwise "clean up" the decoded text (" ." → "."), breaking decode(encode(x)) === x
  clean_up_tokenization_spaces: false,
} as const;
