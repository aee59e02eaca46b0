/**
 * The text of each token of a sequence, as it reads in place.
 * @module
 */
import type { Tokenizer } from "./tokenizer.ts";

/**
 * Each token's text within `ids`: how much the decoded prefix grows with it. Decoding tokens one by one would lose
 * what a tokenizer shows only between tokens (SentencePiece drops a lone piece's leading space); a token that ends
 * inside a multi-byte character gets "" and the next one the whole character. The parts join to `decode(ids)`
 * whenever decoding a longer prefix only appends (true of byte-level BPE and SentencePiece).
 *
 * @example
 * ```ts
 * tokenTexts(tokenizer, tokenizer.encode("Once upon a time")); // ["Once", " upon", " a", " time"]
 * ```
 */
export function tokenTexts(tokenizer: Pick<Tokenizer, "decode">, ids: readonly number[]): string[] {
  const texts: string[] = [];
  let previous = "";
  for (let i = 1; i <= ids.length; i++) {
    // A sequence that starts inside a character: its stray continuation bytes show as nothing.
    let prefix = tokenizer.decode(ids.slice(0, i)).replace(/^\uFFFD+/, "");
    // A replacement character at the end is a character cut in two: it belongs to the token that completes it.
    if (i < ids.length && prefix.endsWith("\uFFFD")) prefix = prefix.slice(0, -1);
    if (prefix.startsWith(previous)) {
      texts.push(prefix.slice(previous.length));
      previous = prefix;
    } else {
      texts.push(tokenizer.decode([ids[i - 1]]));
    }
  }
  return texts;
}
