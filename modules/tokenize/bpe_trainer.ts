/**
 * Trains a GPT-2 style byte-level BPE tokenizer and writes it as Hugging Face files (`tokenizer.json` +
 * `tokenizer_config.json`) that transformers.js, and so {@link loadHfTokenizer}, load: the tokenizer of the project's
 * own small language models once they are trained on real text (the byte tokenizer spends one token per byte).
 * @module
 */
import { ConfigError, DataError } from "@saeflow/core";
import { BYTE_LEVEL_SPLIT, BYTE_TO_UNICODE, toByteLevel } from "./byte_level.ts";
import { bpeModel, hfTokenizer, SPECIAL_TOKENS, TOKENIZER_CONFIG } from "./hf_tokenizer_parts.ts";

/** Options of {@link trainBpe}. */
export interface TrainBpeOptions {
  /** Size of the vocabulary, specials and the 256 bytes included: at least 259. */
  vocabSize: number;
  /**
   * Stop merging once the most frequent pair occurs fewer times than this (then the vocabulary stays smaller than
   * `vocabSize`); default 2, since a pair seen once only memorizes its word.
   */
  minFrequency?: number;
}

/** What {@link trainBpe} returns: the two files' contents and the trained sizes. */
export interface BpeTokenizerFiles {
  tokenizerJson: string;
  tokenizerConfigJson: string;
  /** Number of merges (a merge whose result another merge already made adds no vocabulary entry). */
  merges: number;
  /** Number of ids: 3 specials + 256 bytes + the merged tokens. */
  vocabSize: number;
}

/** Specials first, so that their ids (0, 1, 2) are the same as the byte tokenizer's whatever the corpus. */
const BASE_SIZE = SPECIAL_TOKENS.length + 256;
/** Pairs are keyed `a * PAIR_BASE + b`: a number key, exact below 2^53, is much faster in a Map than a string. */
const PAIR_BASE = 2 ** 20;

/**
 * Trains byte-level BPE on `texts`. Each text is split with GPT-2's pattern and every distinct word counted once,
 * so the cost of training grows with the number of distinct words, not with the corpus. Then the most frequent
 * adjacent pair is merged, again and again, until the vocabulary holds `vocabSize` ids or no pair occurs
 * `minFrequency` times; after each merge only the words holding the pair are rescanned. Ties go to the pair whose
 * left, then right, token is smaller in code-unit order, so the same texts always give the same files. Ids: `<pad>`
 * 0, `<bos>` 1, `<eos>` 2, byte `b` at `3 + b`, then the merges' tokens in merge order. The tokenizer puts `<bos>`
 * first when encoding (its post-processor, and `add_bos_token` in its config), and decodes to the exact text.
 * Fails with a {@link ConfigError} on a vocabulary smaller than 259 ids and a {@link DataError} on a text that is
 * not a string.
 *
 * @example
 * ```ts
 * import { brownSentences } from "@saeflow/lm";
 * const texts = (async function* () { for await (const s of brownSentences()) yield s.text; })();
 * const { tokenizerJson, tokenizerConfigJson } = await trainBpe(texts, { vocabSize: 4096 });
 * await Deno.writeTextFile("model/tokenizer.json", tokenizerJson);
 * await Deno.writeTextFile("model/tokenizer_config.json", tokenizerConfigJson);
 * (await loadHfTokenizer("model")).encode("The jury said"); // [1, …]: <bos>, then about one id per word
 * ```
 */
export async function trainBpe(
  texts: Iterable<string> | AsyncIterable<string>,
  options: TrainBpeOptions,
): Promise<BpeTokenizerFiles> {
  const { vocabSize, minFrequency = 2 } = options;
  if (!Number.isInteger(vocabSize) || vocabSize < BASE_SIZE || vocabSize > PAIR_BASE) {
    throw new ConfigError(
      `BPE vocabSize ${vocabSize} is impossible; expected an integer from ${BASE_SIZE} (${SPECIAL_TOKENS.length} specials + ` +
        `256 bytes) to ${PAIR_BASE}`,
    );
  }
  if (!Number.isInteger(minFrequency) || minFrequency < 1) {
    throw new ConfigError(`BPE minFrequency ${minFrequency} is impossible; expected an integer of at least 1`);
  }
  const words = await countWords(texts);
  const { symbols, merges } = learnMerges(words, vocabSize, minFrequency);
  return {
    tokenizerJson: tokenizerJson(symbols, merges),
    tokenizerConfigJson: JSON.stringify(TOKENIZER_CONFIG, null, 2) + "\n",
    merges: merges.length,
    vocabSize: symbols.length,
  };
}

/** Distinct byte-level words and how often each occurs. */
async function countWords(texts: Iterable<string> | AsyncIterable<string>): Promise<Map<string, number>> {
  // raw pieces first: converting each distinct piece to bytes once is what makes a million words cheap
  const pieces = new Map<string, number>();
  let row = 0;
  for await (const text of texts) {
    row++;
    if (typeof text !== "string") {
      throw new DataError("trainBpe texts", { row }, `text is a ${text === null ? "null" : typeof text}`, "strings");
    }
    for (const piece of text.match(BYTE_LEVEL_SPLIT) ?? []) pieces.set(piece, (pieces.get(piece) ?? 0) + 1);
  }
  const words = new Map<string, number>();
  // distinct strings can share bytes (a lone surrogate and U+FFFD both encode as EF BF BD)
  for (const [piece, count] of pieces) {
    const word = toByteLevel(piece);
    words.set(word, (words.get(word) ?? 0) + count);
  }
  return words;
}

/** The merges, most frequent first, and the tokens by id. */
function learnMerges(
  wordCounts: Map<string, number>,
  vocabSize: number,
  minFrequency: number,
): { symbols: string[]; merges: [string, string][] } {
  const symbols: string[] = [...SPECIAL_TOKENS, ...BYTE_TO_UNICODE];
  const ids = new Map<string, number>(BYTE_TO_UNICODE.map((s, b) => [s, SPECIAL_TOKENS.length + b]));
  const words: number[][] = [];
  const freqs: number[] = [];
  for (const [word, count] of wordCounts) {
    words.push(Array.from(word, (ch) => ids.get(ch)!));
    freqs.push(count);
  }

  const pairCounts = new Map<number, number>();
  /** The words a pair occurs in (or once did: entries are checked, not removed, when words change). */
  const where = new Map<number, number[]>();
  const add = (pair: number, w: number, count: number) => {
    pairCounts.set(pair, (pairCounts.get(pair) ?? 0) + count);
    const list = where.get(pair);
    if (list === undefined) where.set(pair, [w]);
    else if (list[list.length - 1] !== w) list.push(w);
  };
  for (let w = 0; w < words.length; w++) {
    const word = words[w];
    for (let i = 0; i + 1 < word.length; i++) add(word[i] * PAIR_BASE + word[i + 1], w, freqs[w]);
  }

  const queue = new PairQueue(symbols);
  for (const [pair, count] of pairCounts) queue.push(pair, count);
  const merges: [string, string][] = [];
  while (symbols.length < vocabSize) {
    const top = queue.pop();
    if (top === undefined) break;
    const count = pairCounts.get(top.pair) ?? 0;
    // counts only fall between pushes, so a stale entry is an upper bound: requeue it at its true count
    if (count === 0) continue;
    if (count !== top.count) {
      queue.push(top.pair, count);
      continue;
    }
    if (count < minFrequency) break;
    const a = Math.floor(top.pair / PAIR_BASE);
    const b = top.pair % PAIR_BASE;
    const token = symbols[a] + symbols[b];
    // another merge order can have built the same string ("a"+"bc" after "ab"+"c"): one token, one id
    let merged = ids.get(token);
    if (merged === undefined) {
      merged = symbols.length;
      symbols.push(token);
      ids.set(token, merged);
    }
    merges.push([symbols[a], symbols[b]]);
    const grown = new Set<number>();
    for (const w of where.get(top.pair)!) {
      const word = words[w];
      if (!holdsPair(word, a, b)) continue;
      const f = freqs[w];
      for (let i = 0; i + 1 < word.length; i++) {
        const pair = word[i] * PAIR_BASE + word[i + 1];
        const left = pairCounts.get(pair)! - f;
        if (left === 0) pairCounts.delete(pair);
        else pairCounts.set(pair, left);
      }
      const next = mergePair(word, a, b, merged);
      words[w] = next;
      for (let i = 0; i + 1 < next.length; i++) {
        const pair = next[i] * PAIR_BASE + next[i + 1];
        add(pair, w, f);
        // only pairs with the new token can have grown; every other pair kept or lost occurrences
        if (next[i] === merged || next[i + 1] === merged) grown.add(pair);
      }
    }
    where.delete(top.pair);
    for (const pair of grown) {
      const grownCount = pairCounts.get(pair);
      if (grownCount !== undefined) queue.push(pair, grownCount);
    }
  }
  return { symbols, merges };
}

function holdsPair(word: readonly number[], a: number, b: number): boolean {
  for (let i = 0; i + 1 < word.length; i++) if (word[i] === a && word[i + 1] === b) return true;
  return false;
}

/** Left to right, as encoding applies a merge: `a a a` with (a, a) becomes `aa a`. */
function mergePair(word: readonly number[], a: number, b: number, merged: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < word.length; i++) {
    if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
      out.push(merged);
      i++;
    } else out.push(word[i]);
  }
  return out;
}

/**
 * A max-heap of (pair, count): highest count first, then the pair whose left, then right, token string is smallest.
 * Entries are not updated in place; the trainer checks each popped count against the live one.
 */
class PairQueue {
  readonly #pairs: number[] = [];
  readonly #counts: number[] = [];
  readonly #symbols: readonly string[];

  constructor(symbols: readonly string[]) {
    this.#symbols = symbols;
  }

  push(pair: number, count: number): void {
    this.#pairs.push(pair);
    this.#counts.push(count);
    let i = this.#pairs.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  pop(): { pair: number; count: number } | undefined {
    const n = this.#pairs.length;
    if (n === 0) return undefined;
    const top = { pair: this.#pairs[0], count: this.#counts[0] };
    this.#swap(0, n - 1);
    this.#pairs.pop();
    this.#counts.pop();
    let i = 0;
    for (;;) {
      const [l, r] = [2 * i + 1, 2 * i + 2];
      let best = i;
      if (l < n - 1 && this.#before(l, best)) best = l;
      if (r < n - 1 && this.#before(r, best)) best = r;
      if (best === i) break;
      this.#swap(i, best);
      i = best;
    }
    return top;
  }

  #before(i: number, j: number): boolean {
    if (this.#counts[i] !== this.#counts[j]) return this.#counts[i] > this.#counts[j];
    const [p, q] = [this.#pairs[i], this.#pairs[j]];
    const [pa, qa] = [this.#symbols[Math.floor(p / PAIR_BASE)], this.#symbols[Math.floor(q / PAIR_BASE)]];
    if (pa !== qa) return pa < qa;
    return this.#symbols[p % PAIR_BASE] < this.#symbols[q % PAIR_BASE];
  }

  #swap(i: number, j: number): void {
    [this.#pairs[i], this.#pairs[j]] = [this.#pairs[j], this.#pairs[i]];
    [this.#counts[i], this.#counts[j]] = [this.#counts[j], this.#counts[i]];
  }
}

/**
 * The `tokenizer.json` text. Merges are written as `[left, right]` pairs, the format of `tokenizers` ≥ 0.20 that
 * transformers.js 3 and 4 read beside the older `"left right"` strings. The vocabulary and the merges are written one
 * entry a line, by hand: `JSON.stringify` would move number-like tokens ("1", "19") to the front of the vocabulary.
 */
function tokenizerJson(symbols: readonly string[], merges: readonly [string, string][]): string {
  const tokenizer = hfTokenizer({
    preTokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: bpeModel("@VOCAB@", "@MERGES@", false),
  });
  const vocab = symbols.map((token, id) => `   ${JSON.stringify(token)}: ${id}`).join(",\n");
  const mergeLines = merges.map((pair) => `   ${JSON.stringify(pair)}`).join(",\n");
  return (JSON.stringify(tokenizer, null, 1) + "\n")
    .replace('"@VOCAB@"', `{\n${vocab}\n  }`)
    .replace('"@MERGES@"', merges.length === 0 ? "[]" : `[\n${mergeLines}\n  ]`);
}
