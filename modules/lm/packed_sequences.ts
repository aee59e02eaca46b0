/**
 * Tokenized sentences packed into fixed-length training rows, the way GPT-2 and Llama are trained: every sentence
 * becomes `<bos> sentence <eos>`, the sentences are concatenated into one stream, and the stream is cut into rows of
 * `seqLen` tokens. Each row starts with `<bos>` (one is put in front when the cut falls inside a sentence), so that
 * position 0 always holds the token the model sees first at inference; no row is padded, so every position but the
 * last predicts a real next token.
 * @module
 */
import { ConfigError, DataError } from "@saeflow/core";

/** Rows of token ids, `[count, seqLen]` row-major. */
export interface PackedSequences {
  ids: Int32Array;
  count: number;
  seqLen: number;
  /** Tokens of the unfinished last row, which is dropped. */
  dropped: number;
}

/** Options of {@link packSequences}. */
export interface PackOptions {
  /** Tokens per row: at least 2. */
  seqLen: number;
  bosId: number;
  eosId: number;
}

/**
 * Packs `sentences` (token ids without specials) into rows. The rows depend only on the sentences, their order and
 * the options. A ConfigError for a `seqLen` below 2; a DataError for a sentence without tokens.
 *
 * @example
 * ```ts
 * const packed = packSequences([[10, 11, 12], [13]], { seqLen: 4, bosId: 1, eosId: 2 });
 * packed.ids; // Int32Array [1, 10, 11, 12,  1, 2, 1, 13]: the second row starts with an added <bos>
 * packed.dropped; // 2: the final <eos> and the <bos> put before it
 * ```
 */
export function packSequences(sentences: Iterable<readonly number[]>, options: PackOptions): PackedSequences {
  const { seqLen, bosId, eosId } = options;
  if (!(Number.isInteger(seqLen) && seqLen >= 2)) {
    throw new ConfigError(`sequence length ${seqLen}: expected an integer of at least 2`);
  }
  const rows: Int32Array[] = [];
  let row = new Int32Array(seqLen);
  let filled = 0;
  const push = (token: number) => {
    // a row that would start inside a sentence starts with <bos> all the same
    if (filled === 0 && token !== bosId) row[filled++] = bosId;
    row[filled++] = token;
    if (filled === seqLen) {
      rows.push(row);
      row = new Int32Array(seqLen);
      filled = 0;
    }
  };
  let index = 0;
  for (const sentence of sentences) {
    if (sentence.length === 0) {
      throw new DataError("packSequences", { row: index + 1 }, "a sentence without tokens", "at least one token");
    }
    index++;
    push(bosId);
    for (const token of sentence) push(token);
    push(eosId);
  }
  const ids = new Int32Array(rows.length * seqLen);
  rows.forEach((r, i) => ids.set(r, i * seqLen));
  return { ids, count: rows.length, seqLen, dropped: filled };
}
