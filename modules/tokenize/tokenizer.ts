/**
 * The one tokenizer type every saeflow stage speaks, whatever implements it (a Hugging Face `tokenizer.json`, a
 * llama2.c `tokenizer.bin`, a test double).
 * @module
 */

/** Options of {@link Tokenizer.encode}. */
export interface EncodeOptions {
  /**
   * Add the special tokens the model expects around a text (BOS for Gemma and Llama); default true. Off for text
   * that already holds them, such as a rendered chat template.
   */
  addSpecialTokens?: boolean;
}

/**
 * Text to token ids and back. Implementations are synchronous and stateless per call, so one instance serves any
 * number of streams.
 *
 * @example
 * ```ts
 * const tokenizer: Tokenizer = await loadLlama2cTokenizer("../shared/models/stories260K/tok512.bin");
 * const ids = tokenizer.encode("Once upon a time"); // [1, ...]: BOS first
 * tokenizer.decode(ids); // "Once upon a time"
 * ```
 */
export interface Tokenizer {
  /** Where it came from (a Hub model id, a folder or a file); recorded in shard metadata. */
  readonly name: string;
  /** The commit or revision the files came from, when known (Hub downloads); recorded in shard metadata. */
  readonly revision?: string;
  /** Number of token ids (the model's embedding rows). */
  readonly vocabSize: number;
  /** Beginning-of-sequence id, when the tokenizer has one. */
  readonly bosId?: number;
  /** End-of-sequence id, when the tokenizer has one. */
  readonly eosId?: number;
  /** The id put on padding positions: the pad token, else EOS, else 0 (masked out either way). */
  readonly padId: number;
  /** Whether `encode` with special tokens puts `bosId` first (measured, not taken from a config flag). */
  readonly addsBos: boolean;
  /** The Jinja chat template {@link applyChatTemplate} renders, when there is one; recorded in shard metadata. */
  readonly chatTemplate?: string;
  /** Token ids of `text`. */
  encode(text: string, options?: EncodeOptions): number[];
  /** The text of `ids`, special tokens (BOS, EOS, padding) left out, so that `decode(encode(x)) === x`. */
  decode(ids: readonly number[]): string;
  /**
   * `text` as a single user turn of a chat, rendered with {@link chatTemplate} and ending with the generation prompt
   * (where the model's answer would start). Encode the result with `addSpecialTokens: false`: templates write BOS
   * themselves.
   */
  applyChatTemplate?(text: string): string;
}
