/** Hand-written sparse inputs for the pool tests: per-token `[featureId, value]` lists -> CSR, dense, batches. */
import type { TextRecord } from "@saeflow/core";
import type { FeatureBatch, SparseFeatures } from "@saeflow/sae";
import type { TokenBatch } from "@saeflow/tokenize";
import type { PooledVector } from "@saeflow/pool";
import type { DenseRows } from "./reference/naive_pool.ts";

/** One token's active features, `[id, value]` in any order. */
export type Token = [number, number][];

/** CSR over the tokens of all records in order (indices ascending within a row, as saeEncode emits). */
export function csr(tokens: Token[], dSae: number): SparseFeatures {
  const rowPtr = new Int32Array(tokens.length + 1);
  const ids: number[] = [];
  const vals: number[] = [];
  tokens.forEach((tok, r) => {
    for (const [id, v] of [...tok].sort((a, b) => a[0] - b[0])) {
      ids.push(id);
      vals.push(v);
    }
    rowPtr[r + 1] = ids.length;
  });
  return { rows: tokens.length, dSae, rowPtr, indices: Int32Array.from(ids), values: Float32Array.from(vals) };
}

/** The same tokens as dense rows (float32-rounded values, as the CSR stores them). */
export function dense(tokens: Token[], dSae: number): DenseRows {
  return tokens.map((tok) => {
    const row = new Array<number>(dSae).fill(0);
    for (const [id, v] of tok) row[id] = Math.fround(v);
    return row;
  });
}

/** A TokenBatch whose records have the given token counts (ids are irrelevant to pooling). */
export function tokenBatch(lengths: number[], hasBos: boolean, prefix = "r"): TokenBatch {
  const seqLen = Math.max(0, ...lengths);
  const mask = new Uint8Array(lengths.length * seqLen);
  lengths.forEach((len, b) => mask.fill(1, b * seqLen, b * seqLen + len));
  const records: TextRecord[] = lengths.map((_, b) => ({ id: `${prefix}${b}`, text: `text ${b}` }));
  return {
    ids: new Int32Array(lengths.length * seqLen),
    mask,
    lengths: Int32Array.from(lengths),
    batchSize: lengths.length,
    seqLen,
    padId: 0,
    hasBos,
    records,
    truncated: lengths.map(() => false),
  };
}

/** A FeatureBatch of records (each a token list) for the given SAEs. */
export function featureBatch(
  records: Token[][],
  saes: Record<string, number>,
  hasBos: boolean,
  prefix = "r",
): FeatureBatch {
  const tokens = tokenBatch(records.map((r) => r.length), hasBos, prefix);
  const flat = records.flat();
  return { tokens, features: new Map(Object.entries(saes).map(([id, dSae]) => [id, csr(flat, dSae)])) };
}

/** A pooled vector as a dense array (for comparison with the reference). */
export function densify(v: PooledVector, dSae: number): number[] {
  const out = new Array<number>(dSae).fill(0);
  v.indices.forEach((f, i) => out[f] = v.values[i]);
  return out;
}
