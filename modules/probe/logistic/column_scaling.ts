/**
 * Column standardization without touching the matrix: the fit works on `(x − mean) / scale` by folding both into
 * the weights (`Σⱼ xⱼ·wⱼ/sⱼ − Σⱼ mⱼ·wⱼ/sⱼ`), so a sparse matrix is never densified and a dense one never copied.
 * @module
 */
import type { FeatureMatrix } from "../feature_matrix.ts";

/** Per-column shift and divisor; `mean` null means no centering. */
export interface ColumnScaling {
  mean: Float64Array | null;
  scale: Float64Array;
}

/**
 * sklearn `StandardScaler` statistics of `X`'s columns: mean and population standard deviation (ddof 0) in float64,
 * a constant column (variance within rounding of 0, sklearn's test) scaled by 1. `center` false keeps the scale
 * (computed around the mean, as `with_mean=False` does) and drops the shift.
 */
export function columnScaling(X: FeatureMatrix, center: boolean): ColumnScaling {
  const { rows, cols } = X;
  const sum = new Float64Array(cols);
  const squares = new Float64Array(cols);
  const stored = new Int32Array(cols);
  if (X.kind === "dense") {
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) sum[j] += X.data[i * cols + j];
  } else {
    for (let e = 0; e < X.indices.length; e++) sum[X.indices[e]] += X.values ? X.values[e] : 1;
  }
  const mean = sum.map((s) => s / rows);
  // Two passes (mean, then squared deviations) keep the variance accurate when the mean dwarfs the spread.
  if (X.kind === "dense") {
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) squares[j] += (X.data[i * cols + j] - mean[j]) ** 2;
    }
  } else {
    for (let e = 0; e < X.indices.length; e++) {
      const j = X.indices[e];
      squares[j] += ((X.values ? X.values[e] : 1) - mean[j]) ** 2;
      stored[j]++;
    }
    for (let j = 0; j < cols; j++) squares[j] += (rows - stored[j]) * mean[j] ** 2;
  }
  const scale = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    const variance = squares[j] / rows;
    // sklearn's _handle_zeros_in_scale bound: variance indistinguishable from 0 at this mean and row count.
    const constant = variance <= rows * Number.EPSILON * variance + (rows * mean[j] * Number.EPSILON) ** 2;
    scale[j] = constant ? 1 : Math.sqrt(variance);
  }
  return { mean: center ? mean : null, scale };
}

/**
 * Weights on the raw columns equivalent to `W` (feature-major, R outputs) and `b` on the scaled ones:
 * `V = W / s`, `offset = b − Σⱼ mⱼ·Vⱼ`. Writes `V` and `offset`.
 */
export function foldScaling(
  W: Float64Array,
  b: Float64Array,
  R: number,
  scaling: ColumnScaling,
  V: Float64Array,
  offset: Float64Array,
): void {
  const { mean, scale } = scaling;
  offset.set(b);
  for (let j = 0; j < scale.length; j++) {
    for (let r = 0; r < R; r++) {
      const v = W[j * R + r] / scale[j];
      V[j * R + r] = v;
      if (mean) offset[r] -= mean[j] * v;
    }
  }
}

/**
 * The chain rule back through {@link foldScaling}: from the gradient in `V` (`gradV`, overwritten) and in `offset`
 * (`gradOffset`) to the gradient in `W`.
 */
export function unfoldGradient(gradV: Float64Array, gradOffset: Float64Array, R: number, scaling: ColumnScaling): void {
  const { mean, scale } = scaling;
  for (let j = 0; j < scale.length; j++) {
    for (let r = 0; r < R; r++) {
      const centered = mean ? gradV[j * R + r] - mean[j] * gradOffset[r] : gradV[j * R + r];
      gradV[j * R + r] = centered / scale[j];
    }
  }
}
