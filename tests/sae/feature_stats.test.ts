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
  // Feature 2 fires on 2 of 3 tokens and feature 0 on 1: both above a tenth, so both dense.
  assert.deepEqual(stats.summary(), {
    tokens: 3,
    meanL0: 1,
    fvu: 0.4,
    deadFeatures: 2,
    deadFraction: 0.5,
    denseFeatures: 2,
    denseFraction: 0.5,
  });
});

Deno.test("a feature is dense when it fires on more than a tenth of the tokens, not at exactly a tenth", () => {
  const stats = new FeatureStats(4, 2);
  // 20 tokens: feature 0 fires on 2 (exactly a tenth: not dense), feature 1 on 3 (dense), feature 3 on all (dense).
  const rows = Array.from({ length: 20 }, (_, t) => [...(t < 2 ? [0] : []), ...(t < 3 ? [1] : []), 3]);
  stats.add(csr(rows));
  const { denseFeatures, deadFeatures } = stats.summary();
  assert.equal(denseFeatures, 2);
  assert.equal(deadFeatures, 1);
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
