/**
 * The two products a linear model needs, on CSR or dense rows without converting either: scores `Z = X·V + b` and
 * the gradient `Xᵀ·G`. Weights are feature-major (`V[j·R + r]`: feature j, output r) so each stored entry of a
 * row touches one contiguous run of R weights. Memory: O(nnz + R·cols) plus the `rows × R` buffers.
 * @module
 */
import type { FeatureMatrix } from "../feature_matrix.ts";

/** `Z[i·R + r] = Σⱼ X[i, j]·V[j·R + r] + offset[r]`. */
export function scores(X: FeatureMatrix, V: Float64Array, offset: Float64Array, R: number, Z: Float64Array): void {
  for (let i = 0; i < X.rows; i++) Z.set(offset, i * R);
  if (X.kind === "dense") {
    const { cols, data } = X;
    for (let i = 0; i < X.rows; i++) {
      const z = i * R;
      for (let j = 0; j < cols; j++) {
        const x = data[i * cols + j];
        if (x === 0) continue;
        for (let r = 0; r < R; r++) Z[z + r] += x * V[j * R + r];
      }
    }
    return;
  }
  const { rowPtr, indices, values } = X;
  if (R === 1) {
    // Two classes: one weight per feature; a tight loop without the per-entry class loop (5x faster).
    const b = offset[0];
    for (let i = 0; i < X.rows; i++) {
      let z = b;
      const end = rowPtr[i + 1];
      if (values) { for (let e = rowPtr[i]; e < end; e++) z += values[e] * V[indices[e]]; }
      else for (let e = rowPtr[i]; e < end; e++) z += V[indices[e]];
      Z[i] = z;
    }
    return;
  }
  for (let i = 0; i < X.rows; i++) {
    const z = i * R;
    for (let e = rowPtr[i]; e < rowPtr[i + 1]; e++) {
      const x = values ? values[e] : 1;
      const w = indices[e] * R;
      for (let r = 0; r < R; r++) Z[z + r] += x * V[w + r];
    }
  }
}

/** `out[j·R + r] = Σᵢ X[i, j]·G[i·R + r]` (overwrites `out`). */
export function transposedProduct(X: FeatureMatrix, G: Float64Array, R: number, out: Float64Array): void {
  out.fill(0);
  if (X.kind === "dense") {
    const { cols, data } = X;
    for (let i = 0; i < X.rows; i++) {
      const g = i * R;
      for (let j = 0; j < cols; j++) {
        const x = data[i * cols + j];
        if (x === 0) continue;
        for (let r = 0; r < R; r++) out[j * R + r] += x * G[g + r];
      }
    }
    return;
  }
  const { rowPtr, indices, values } = X;
  if (R === 1) {
    for (let i = 0; i < X.rows; i++) {
      const g = G[i], end = rowPtr[i + 1];
      if (values) { for (let e = rowPtr[i]; e < end; e++) out[indices[e]] += values[e] * g; }
      else for (let e = rowPtr[i]; e < end; e++) out[indices[e]] += g;
    }
    return;
  }
  for (let i = 0; i < X.rows; i++) {
    const g = i * R;
    for (let e = rowPtr[i]; e < rowPtr[i + 1]; e++) {
      const x = values ? values[e] : 1;
      const w = indices[e] * R;
      for (let r = 0; r < R; r++) out[w + r] += x * G[g + r];
    }
  }
}
