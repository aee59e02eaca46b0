/**
 * Design matrices for the probes: sparse CSR (SAE and TF-IDF features; binarized index sets have no values) or dense
 * row-major (hidden-state baselines). Sparse inputs stay sparse end to end: a 65k-wide binarized matrix of 10k
 * records is a few MB of indices, never 2.6 GB of zeros.
 * @module
 */
import { ConfigError } from "@saeflow/core";

/** CSR rows: row `r`'s features are `indices[rowPtr[r] .. rowPtr[r + 1]]`, ascending; `values` absent = all 1. */
export interface SparseMatrix {
  kind: "sparse";
  rows: number;
  cols: number;
  rowPtr: Int32Array;
  indices: Int32Array;
  /** Aligned with `indices`; absent for binarized features (every stored entry is 1). */
  values?: Float32Array;
}

/** Row-major `[rows, cols]`. */
export interface DenseMatrix {
  kind: "dense";
  rows: number;
  cols: number;
  data: Float32Array;
}

export type FeatureMatrix = SparseMatrix | DenseMatrix;

/** A matrix with its labels: class ids `0 .. classes.length - 1`, one per row. */
export interface LabeledMatrix {
  X: FeatureMatrix;
  y: Int32Array;
  classes: readonly string[];
  /** Record ids, one per row. */
  ids: readonly string[];
}

/**
 * The rows `rows` of `X`, in that order (cross-validation folds, bootstrap samples).
 *
 * @example
 * ```ts
 * const fold = selectRows(X, Int32Array.from([0, 2, 5]));
 * ```
 */
export function selectRows(X: FeatureMatrix, rows: Int32Array): FeatureMatrix {
  for (const r of rows) {
    if (!(r >= 0 && r < X.rows)) throw new RangeError(`row ${r} out of range [0, ${X.rows})`);
  }
  if (X.kind === "dense") {
    const data = new Float32Array(rows.length * X.cols);
    rows.forEach((r, i) => data.set(X.data.subarray(r * X.cols, (r + 1) * X.cols), i * X.cols));
    return { kind: "dense", rows: rows.length, cols: X.cols, data };
  }
  const rowPtr = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => (rowPtr[i + 1] = rowPtr[i] + X.rowPtr[r + 1] - X.rowPtr[r]));
  const indices = new Int32Array(rowPtr[rows.length]);
  const values = X.values && new Float32Array(rowPtr[rows.length]);
  rows.forEach((r, i) => {
    indices.set(X.indices.subarray(X.rowPtr[r], X.rowPtr[r + 1]), rowPtr[i]);
    values?.set(X.values!.subarray(X.rowPtr[r], X.rowPtr[r + 1]), rowPtr[i]);
  });
  return { kind: "sparse", rows: rows.length, cols: X.cols, rowPtr, indices, ...(values ? { values } : {}) };
}

/**
 * Checks a matrix's shape and contents: CSR pointers monotone, indices ascending and in range, no NaN or infinite
 * value (a probe would silently fit garbage). Throws a ConfigError naming `what`, the row and the problem.
 */
export function checkMatrix(X: FeatureMatrix, what = "features"): void {
  const fail = (row: number, problem: string): never => {
    throw new ConfigError(`${what}: row ${row}: ${problem}`);
  };
  if (X.kind === "dense") {
    if (X.data.length !== X.rows * X.cols) fail(0, `${X.data.length} values for ${X.rows} x ${X.cols}`);
    for (let i = 0; i < X.data.length; i++) {
      if (!Number.isFinite(X.data[i])) fail(Math.floor(i / X.cols), `value ${X.data[i]} in column ${i % X.cols}`);
    }
    return;
  }
  if (X.rowPtr.length !== X.rows + 1 || X.rowPtr[0] !== 0) fail(0, "rowPtr must have rows + 1 entries from 0");
  for (let r = 0; r < X.rows; r++) {
    const lo = X.rowPtr[r], hi = X.rowPtr[r + 1];
    if (hi < lo || hi > X.indices.length) fail(r, "rowPtr is not monotone within the indices");
    for (let e = lo; e < hi; e++) {
      const f = X.indices[e];
      if (!(f >= 0 && f < X.cols)) fail(r, `feature ${f} outside [0, ${X.cols})`);
      if (e > lo && f <= X.indices[e - 1]) fail(r, "feature ids not strictly ascending");
      if (X.values && !Number.isFinite(X.values[e])) fail(r, `value ${X.values[e]} for feature ${f}`);
    }
  }
}
