/**
 * GPT-2's byte-level alphabet and pre-tokenization, as Hugging Face's `ByteLevel` pre-tokenizer applies them: text is
 * split by one regular expression, then every UTF-8 byte becomes one printable character, so that a BPE vocabulary
 * covers any text with 256 base symbols and stays readable in `tokenizer.json` (a space is `Ġ`, a newline `Ċ`).
 * @module
 */

/**
 * The GPT-2 split, character for character as transformers.js and the Rust `tokenizers` use it with
 * `use_regex: true`: training must cut words exactly where encoding will.
 */
export const BYTE_LEVEL_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * The character standing for each byte: printable Latin-1 bytes stand for themselves, the other 68 (controls, space,
 * soft hyphen …) take U+0100 onwards in byte order.
 */
export const BYTE_TO_UNICODE: readonly string[] = (() => {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let shifted = 0;
  return Array.from({ length: 256 }, (_, b) => String.fromCharCode(printable(b) ? b : 256 + shifted++));
})();

const encoder = new TextEncoder();

/**
 * `piece`'s UTF-8 bytes in the byte-level alphabet.
 *
 * @example
 * ```ts
 * toByteLevel(" café\n"); // "ĠcafÃ©Ċ"
 * " café\n".match(BYTE_LEVEL_SPLIT); // [" café", "\n"]
 * ```
 */
export function toByteLevel(piece: string): string {
  let out = "";
  for (const byte of encoder.encode(piece)) out += BYTE_TO_UNICODE[byte];
  return out;
}
