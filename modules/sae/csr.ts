/**
 * CSR features from an encoder graph's sparse outputs. The graph's rows are either the real tokens already (a
 * standalone encoder fed `[rows, dIn]`) or every position of a right-padded `[batch, seq]` batch (an encoder fused
 * after the forward pass); padded positions are dropped here, so CSR rows are always the real tokens in order.
 * @module
 */
import type { EncoderOutputs } from "./encoder_graph.ts";
import type { SparseFeatures } from "./sparse_features.ts";

/** How graph positions map to CSR rows. */
export type RowLayout =
  /** Graph rows are the CSR rows. */
  | { kind: "rows"; rows: number }
  /** Graph positions are `[batch, seq]`; row b has `lengths[b]` real tokens, the rest is padding. */
  | { kind: "padded"; seqLen: number; lengths: Int32Array };

/** CSR row of graph position `position` (flat, row-major), or -1 for padding; and the number of CSR rows. */
function rowMapping(layout: RowLayout): { rows: number; rowOf: (position: number) => number } {
  if (layout.kind === "rows") return { rows: layout.rows, rowOf: (p) => p };
  const { seqLen, lengths } = layout;
  const starts = new Int32Array(lengths.length + 1);
  for (let b = 0; b < lengths.length; b++) starts[b + 1] = starts[b] + lengths[b];
  return {
    rows: starts[lengths.length],
    rowOf: (p) => {
      const b = Math.floor(p / seqLen), t = p % seqLen;
      return t < lengths[b] ? starts[b] + t : -1;
    },
  };
}

/**
 * Builds CSR features from an encoder's `indices` / `values` outputs (`extraction` says which kind), dropping padded
 * positions and, for top-k, zeros; indices come out ascending within each row.
 */
export function toSparseFeatures(
  extraction: EncoderOutputs["extraction"],
  indices: BigInt64Array,
  indicesDims: readonly number[],
  values: Float32Array,
  dSae: number,
  layout: RowLayout,
): SparseFeatures {
  const { rows, rowOf } = rowMapping(layout);
  const rowPtr = new Int32Array(rows + 1);
  if (extraction === "nonzero") {
    // [rank, nnz], row-major positions; the last coordinate is the feature, the others the graph row.
    const rank = indicesDims[0], nnz = values.length;
    const keep = new Int32Array(nnz);
    let kept = 0;
    const seqLen = layout.kind === "padded" ? layout.seqLen : 1;
    for (let i = 0; i < nnz; i++) {
      // rank 2: (row, feature); rank 3: (batch, position, feature).
      const flat = rank === 2 ? Number(indices[i]) : Number(indices[i]) * seqLen + Number(indices[nnz + i]);
      const row = rowOf(flat);
      if (row < 0) continue;
      rowPtr[row + 1]++;
      keep[kept++] = i;
    }
    const out = new Int32Array(kept);
    const outValues = new Float32Array(kept);
    for (let j = 0; j < kept; j++) {
      out[j] = Number(indices[(rank - 1) * nnz + keep[j]]);
      outValues[j] = values[keep[j]];
    }
    for (let r = 0; r < rows; r++) rowPtr[r + 1] += rowPtr[r];
    return { rows, dSae, rowPtr, indices: out, values: outValues };
  }
  // Top-k: [..., k]; one graph row per k entries. Each row's active entries go straight into place, insertion-sorted
  // by feature id (k is small), reading the int64 ids as their low 32-bit words.
  const k = indicesDims[indicesDims.length - 1];
  const graphRows = values.length / k;
  const low = lowWords(indices);
  const outIds = new Int32Array(values.length);
  const outValues = new Float32Array(values.length);
  let n = 0;
  for (let p = 0; p < graphRows; p++) {
    const row = rowOf(p);
    if (row < 0) continue;
    const start = n;
    for (let i = p * k, end = i + k; i < end; i++) {
      const value = values[i];
      if (!(value > 0)) continue;
      const id = low[2 * i];
      let j = n++;
      for (; j > start && outIds[j - 1] > id; j--) {
        outIds[j] = outIds[j - 1];
        outValues[j] = outValues[j - 1];
      }
      outIds[j] = id;
      outValues[j] = value;
    }
    rowPtr[row + 1] = n;
  }
  return { rows, dSae, rowPtr, indices: outIds.slice(0, n), values: outValues.slice(0, n) };
}

/**
 * The low 32-bit words of non-negative int64 ids below 2^31 (feature ids, positions), as an Int32Array view: entry
 * `2 * i` is id `i` on little-endian machines, which every platform ONNX Runtime ships for is.
 */
function lowWords(ids: BigInt64Array): Int32Array {
  return new Int32Array(ids.buffer, ids.byteOffset, ids.length * 2);
}
