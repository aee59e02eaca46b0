/**
 * The input of binarization: one record's pooled features as a sparse vector, and the output: index sets.
 * @module
 */
import { DataError, type DataLocation } from "@saeflow/core";

/**
 * One record's pooled SAE features. Features not listed are 0. Indices are strictly ascending; values are stored as
 * float32 and are what every rule compares (SAE features are >= 0, but negative values are well defined too).
 */
export interface SparseVector {
  indices: Int32Array;
  values: Float32Array;
}

/**
 * Index sets of a batch of records in CSR form: record r's active feature ids are `indices[rowPtr[r] .. rowPtr[r + 1] - 1]`,
 * ascending.
 */
export interface IndexSets {
  /** `[records + 1]`. */
  rowPtr: Int32Array;
  indices: Int32Array;
}

/** Record `r`'s active feature ids (a view, not a copy). */
export function indexSetRow(sets: IndexSets, r: number): Int32Array {
  return sets.indices.subarray(sets.rowPtr[r], sets.rowPtr[r + 1]);
}

/**
 * Checks the shape of a sparse vector: equal lengths, non-negative strictly ascending indices, below `dSae` when given.
 * Throws a {@linkcode DataError} naming `source` and `location`.
 */
export function checkSparseVector(
  vector: SparseVector,
  dSae?: number,
  source = "sparse vector",
  location: DataLocation = {},
): void {
  const { indices, values } = vector;
  if (!(indices instanceof Int32Array) || !(values instanceof Float32Array)) {
    throw new DataError(source, location, "indices or values have the wrong array type", "Int32Array and Float32Array");
  }
  if (indices.length !== values.length) {
    throw new DataError(
      source,
      location,
      `${indices.length} indices but ${values.length} values`,
      "one value per index",
    );
  }
  let previous = -1;
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i];
    if (index <= previous) {
      throw new DataError(
        source,
        location,
        `feature index ${index} at position ${i} follows ${previous}`,
        "non-negative, strictly ascending indices",
      );
    }
    previous = index;
  }
  if (dSae !== undefined && previous >= dSae) {
    throw new DataError(source, location, `feature index ${previous} is out of range`, `indices below dSae = ${dSae}`);
  }
}
