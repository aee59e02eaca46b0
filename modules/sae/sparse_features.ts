/**
 * Sparse features: what saeEncode emits. CSR over the real tokens of a token batch, record by record.
 * @module
 */
import type { TokenBatch } from "@saeflow/tokenize";

/**
 * A CSR matrix of SAE features: one row per real (unpadded) token, rows in record order and position order within a
 * record (record b's rows start at the sum of the lengths before it), indices ascending within each row.
 */
export interface SparseFeatures {
  rows: number;
  /** Width of the SAE (number of features). */
  dSae: number;
  /** `[rows + 1]`: row r's entries are `rowPtr[r] .. rowPtr[r + 1] - 1`. */
  rowPtr: Int32Array;
  /** Feature ids, ascending within a row. */
  indices: Int32Array;
  /** Activations, all > 0. */
  values: Float32Array;
}

/** One token batch's features for every SAE that ran on it. */
export interface FeatureBatch {
  tokens: TokenBatch;
  /** SAE id -> its features. */
  features: Map<string, SparseFeatures>;
}

/** Where record `row` of `tokens` starts among the feature rows (real tokens only). */
export function recordRowOffsets(tokens: TokenBatch): Int32Array {
  const offsets = new Int32Array(tokens.batchSize + 1);
  for (let b = 0; b < tokens.batchSize; b++) offsets[b + 1] = offsets[b] + tokens.lengths[b];
  return offsets;
}
