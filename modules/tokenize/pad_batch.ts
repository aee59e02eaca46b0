/**
 * Right-padding rows of token ids into one {@link TokenBatch}: the single place that lays out ids, mask and lengths.
 * @module
 */
import type { TextRecord } from "@saeflow/core";
import type { TokenBatch } from "./token_batch.ts";

/** Options of {@link padBatch}. */
export interface PadBatchOptions {
  /** The id written on padding positions. */
  padId: number;
  /** Whether each row starts with the tokenizer's BOS. */
  hasBos: boolean;
  /** The record of each row; default `{ id: "<row>", text: "" }` (tests that start from ids). */
  records?: readonly TextRecord[];
  /** Per row: whether it was cut to the token limit; default all false. */
  truncated?: readonly boolean[];
  /** Pad to at least this many positions (default: the longest row). */
  seqLen?: number;
}

/**
 * Lays `rows` out as a right-padded `[rows.length, longest row]` batch with its attention mask and lengths.
 * Throws a `RangeError` for no rows, an empty row, or `records` / `truncated` of another length than `rows`.
 *
 * @example
 * ```ts
 * const batch = padBatch([[2, 10, 11], [2, 12]], { padId: 0, hasBos: true });
 * batch.ids; // Int32Array [2, 10, 11, 2, 12, 0]
 * batch.mask; // Uint8Array [1, 1, 1, 1, 1, 0]
 * batch.lengths; // Int32Array [3, 2]
 * ```
 */
export function padBatch(rows: readonly (readonly number[])[], options: PadBatchOptions): TokenBatch {
  const { padId, hasBos } = options;
  const batchSize = rows.length;
  if (batchSize === 0) throw new RangeError("padBatch: no rows");
  const records = options.records ?? rows.map((_, i) => ({ id: String(i), text: "" }));
  const truncated = options.truncated ?? rows.map(() => false);
  if (records.length !== batchSize || truncated.length !== batchSize) {
    throw new RangeError(
      `padBatch: ${batchSize} rows but ${records.length} records and ${truncated.length} truncated flags`,
    );
  }
  let seqLen = options.seqLen ?? 0;
  for (const [i, row] of rows.entries()) {
    if (row.length === 0) throw new RangeError(`padBatch: row ${i} (record ${records[i].id}) has no tokens`);
    seqLen = Math.max(seqLen, row.length);
  }
  const ids = new Int32Array(batchSize * seqLen).fill(padId);
  const mask = new Uint8Array(batchSize * seqLen);
  const lengths = new Int32Array(batchSize);
  for (const [i, row] of rows.entries()) {
    ids.set(row, i * seqLen);
    mask.fill(1, i * seqLen, i * seqLen + row.length);
    lengths[i] = row.length;
  }
  return { ids, mask, lengths, batchSize, seqLen, padId, hasBos, records: [...records], truncated: [...truncated] };
}
