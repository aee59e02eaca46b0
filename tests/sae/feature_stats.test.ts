/** FeatureStats against hand-computed L0, FVU and dead-feature counts. */
import assert from "node:assert/strict";
import { FeatureStats, type SparseFeatures } from "@saeflow/sae";

const csr = (rows: number[][]): SparseFeatures => {
  const rowPtr = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => (rowPtr[i + 1] = rowPtr[i] + r.length));
  return {
    rows: rows.length,
    dSae: 4,
    rowPtr,
    indices: Int32Array.from(rows.flat()),
    values: Float32Array.from(rows.flat(), () => 1),
  };
};

Deno.test("mean L0, FVU and dead features add up over batches exactly as computed by hand", () => {
  const stats = new FeatureStats(4, 2);
  // Batch 1: rows x = (1, 0), (3, 2); features {0, 2} and {2}; squared errors 0.5 and 1.5.
  stats.add(csr([[0, 2], [2]]), Float32Array.of(1, 0, 3, 2), Float32Array.of(0.5, 1.5));
  // Batch 2: row x = (2, 4); features {}; squared error 2.
  stats.add(csr([[]]), Float32Array.of(2, 4), Float32Array.of(2));
  // Means (2, 2); Σ‖x − mean‖² = (1 + 1 + 0) + (4 + 0 + 4) = 10; Σ error = 4 → FVU 0.4. L0 = 3 / 3 tokens = 1.
  assert.deepEqual(stats.summary(), { tokens: 3, meanL0: 1, fvu: 0.4, deadFeatures: 2, deadFraction: 0.5 });
});

Deno.test("without inputs or errors for some batch, the FVU is not reported (never a wrong number)", () => {
  const stats = new FeatureStats(4, 2);
  stats.add(csr([[1]]), Float32Array.of(1, 1), Float32Array.of(0.1));
  stats.add(csr([[3]])); // a fused batch: no activations
  const summary = stats.summary();
  assert.equal(summary.fvu, undefined);
  assert.equal(summary.meanL0, 1);
  assert.equal(summary.deadFeatures, 2);
});
