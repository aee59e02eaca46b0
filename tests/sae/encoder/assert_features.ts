/** Assertions on the encoder's CSR output: its invariants, and agreement with the naive reference. */
import assert from "node:assert/strict";
import type { SparseFeatures } from "../../../modules/sae/sparse_features.ts";
import type { NaiveSaeOutput } from "../reference/naive_sae.ts";

/** Relative-or-absolute tolerance on feature values. */
export const VALUE_TOLERANCE = 1e-5;
/** Relative tolerance on squared reconstruction errors. */
export const SQ_ERROR_TOLERANCE = 1e-4;

/** rowPtr starts at 0, is monotone and ends at nnz; indices are in range and strictly ascending per row; values > 0. */
export function assertCsr(features: SparseFeatures, rows: number, dSae: number, label = ""): void {
  const { rowPtr, indices, values } = features;
  assert.equal(features.rows, rows, `${label}: rows`);
  assert.equal(features.dSae, dSae, `${label}: dSae`);
  assert.ok(rowPtr instanceof Int32Array && indices instanceof Int32Array && values instanceof Float32Array, label);
  assert.equal(rowPtr.length, rows + 1, `${label}: rowPtr length`);
  assert.equal(rowPtr[0], 0, `${label}: rowPtr[0]`);
  assert.equal(rowPtr[rows], indices.length, `${label}: rowPtr[rows] = nnz`);
  assert.equal(values.length, indices.length, `${label}: values and indices`);
  for (let r = 0; r < rows; r++) {
    assert.ok(rowPtr[r] <= rowPtr[r + 1], `${label}: rowPtr not monotone at row ${r}`);
    for (let e = rowPtr[r]; e < rowPtr[r + 1]; e++) {
      assert.ok(indices[e] >= 0 && indices[e] < dSae, `${label}: row ${r} index ${indices[e]} out of range`);
      if (e > rowPtr[r]) assert.ok(indices[e - 1] < indices[e], `${label}: row ${r} indices not ascending`);
      assert.ok(values[e] > 0, `${label}: row ${r} feature ${indices[e]} has value ${values[e]}`);
    }
  }
}

/** The row's active feature ids and values. */
export function csrRow(features: SparseFeatures, r: number): { indices: number[]; values: number[] } {
  const { rowPtr } = features;
  return {
    indices: Array.from(features.indices.subarray(rowPtr[r], rowPtr[r + 1])),
    values: Array.from(features.values.subarray(rowPtr[r], rowPtr[r + 1])),
  };
}

/** Same active sets as the reference, row by row, and values within VALUE_TOLERANCE. */
export function assertMatchesReference(features: SparseFeatures, reference: NaiveSaeOutput, label: string): void {
  assertCsr(features, reference.features.length, reference.features[0]?.length ?? features.dSae, label);
  reference.features.forEach((expected, r) => {
    const row = csrRow(features, r);
    const expectedIndices = [...expected.keys()].filter((j) => expected[j] > 0);
    assert.deepEqual(row.indices, expectedIndices, `${label}: row ${r} active set`);
    row.values.forEach((v, e) => {
      const want = expected[row.indices[e]];
      assert.ok(
        Math.abs(v - want) <= VALUE_TOLERANCE * Math.max(1, Math.abs(want)),
        `${label}: row ${r} feature ${row.indices[e]}: ${v} vs reference ${want}`,
      );
    });
  });
}

/** Squared reconstruction errors within SQ_ERROR_TOLERANCE (relative) of the reference. */
export function assertSqError(actual: Float32Array | undefined, reference: NaiveSaeOutput, label: string): void {
  assert.ok(actual, `${label}: no sqError`);
  assert.equal(actual.length, reference.sqError.length, `${label}: sqError length`);
  reference.sqError.forEach((want, r) => {
    assert.ok(
      Math.abs(actual[r] - want) <= SQ_ERROR_TOLERANCE * Math.max(want, 1e-12),
      `${label}: row ${r} sqError ${actual[r]} vs reference ${want} (relative ${Math.abs(actual[r] - want) / want})`,
    );
  });
}
