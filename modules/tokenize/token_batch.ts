/**
 * Token batches: what tokenize emits and forward consumes. Right-padded, row-major, with an attention mask.
 * @module
 */
import type { TextRecord } from "@saeflow/core";

/** A batch of tokenized records, right-padded to the longest row. */
export interface TokenBatch {
  /** Token ids, `[batchSize, seqLen]` row-major; padding positions hold `padId`. */
  ids: Int32Array;
  /** 1 where `ids` is a real token (BOS included), 0 on padding; `[batchSize, seqLen]`. */
  mask: Uint8Array;
  /** Real tokens per row (the mask's row sums). */
  lengths: Int32Array;
  /** Rows in the batch. */
  batchSize: number;
  /** Positions per row: the longest row's length. */
  seqLen: number;
  /** The id used on padding positions. */
  padId: number;
  /** Whether position 0 of each row is the tokenizer's BOS token (pooling masks it out by default). */
  hasBos: boolean;
  /** The records, in row order. */
  records: TextRecord[];
  /** Per row: whether the text was cut to `maxTokens`. */
  truncated: boolean[];
}
