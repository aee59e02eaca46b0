/**
 * scikit-learn's word analyzer (`CountVectorizer(analyzer="word")`), the one MOSAIC's TF-IDF baseline ran: lowercase,
 * tokens of `(?u)\b\w\w+\b`, stop words dropped, then n-grams of the remaining tokens joined by one space.
 * @module
 */

/**
 * Python's `(?u)\b\w\w+\b` as `findall` applies it: every maximal run of two or more word characters.
 *
 * Python's Unicode `\w` is `str.isalnum()` or `_`; over every code point of Python 3.11's Unicode database (14.0)
 * that is exactly `[\p{L}\p{N}_]` (checked exhaustively, no exception either way). Combining marks (`\p{M}`) are not
 * word characters, so Python splits "नमस्ते" at its vowel signs, and so does this pattern, as sklearn does. JS's own
 * `\w` and `\b` are ASCII-only even with the `u` flag, hence the explicit class and no `\b`: a greedy run that starts
 * at the leftmost word character is what `\b\w\w+\b` finds, and a run of one character is skipped as there.
 * Characters assigned after Unicode 14 may differ between the engines (V8's tables are newer); so may
 * `toLowerCase()` against Python's `str.lower()`, which agree on every code point Unicode 14 assigns (final sigma
 * included).
 */
export const WORD_TOKEN_PATTERN: RegExp = /[\p{L}\p{N}_]{2,}/gu;

/** Options of {@link analyzeText}. */
export interface AnalyzeOptions {
  /** Smallest and largest n-gram length, inclusive (sklearn's `ngram_range`); default `[1, 2]`, as MOSAIC. */
  ngramRange?: readonly [number, number];
  /** Tokens dropped before the n-grams are built (sklearn drops them first, so "not the best" gives "best"). */
  stopWords?: ReadonlySet<string>;
  /** Lowercase the text first (sklearn's default, `lowercase=True`); default true. */
  lowercase?: boolean;
}

/**
 * The terms of one text, in sklearn's order (all unigrams, then all bigrams, ...), repeated as often as they occur.
 *
 * @example
 * ```ts
 * analyzeText("It's NOT the best film", { stopWords: new Set(["not", "the"]) }); // ["it", "best", "film", "it best", "best film"]
 * ```
 */
export function analyzeText(text: string, options: AnalyzeOptions = {}): string[] {
  const [minN, maxN] = options.ngramRange ?? [1, 2];
  const source = options.lowercase === false ? text : text.toLowerCase();
  let tokens: string[] = source.match(WORD_TOKEN_PATTERN) ?? [];
  const stop = options.stopWords;
  if (stop && stop.size > 0) tokens = tokens.filter((t) => !stop.has(t));
  if (minN === 1 && maxN === 1) return tokens;
  const terms: string[] = minN === 1 ? tokens.slice() : [];
  for (let n = Math.max(minN, 2); n <= Math.min(maxN, tokens.length); n++) {
    for (let i = 0; i + n <= tokens.length; i++) terms.push(tokens.slice(i, i + n).join(" "));
  }
  return terms;
}

/**
 * Python's `str` order (by code point), which sklearn's alphabetical feature ids follow. JS's `<` compares UTF-16
 * code units, which puts astral characters (emoji, rare CJK) before U+E000..U+FFFF; this does not.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (D800..DFFF) encode code points above FFFF: they rank above every other code unit.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
