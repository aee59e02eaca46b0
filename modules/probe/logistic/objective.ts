/**
 * The smooth part of scikit-learn's logistic objective, value and gradient in one pass:
 * `F(W, b) = Σᵢ wᵢ·lossᵢ + (l2 / 2)·‖W‖²` (sklearn's `LinearModelLoss` with `l2_reg_strength = 1/C`: the same
 * minimiser as `C·Σᵢ wᵢ·lossᵢ + ½‖W‖²`). `lossᵢ` is the binary log-loss of one score (R = 1, as sklearn fits two
 * classes) or the softmax cross-entropy over R ≥ 2 scores. Parameters θ: W feature-major (`cols × R`), then b (R)
 * when there is an intercept.
 * @module
 */
import type { FeatureMatrix } from "../feature_matrix.ts";
import { type ColumnScaling, foldScaling, unfoldGradient } from "./column_scaling.ts";
import { scores, transposedProduct } from "./linear_ops.ts";

/** A training problem: rows, targets in `0 .. max(R, 2) − 1`, row weights, scaling and L2 strength. */
export interface LogisticProblem {
  X: FeatureMatrix;
  y: Int32Array;
  /** 1: binary logistic, the target is "y = 1"; R ≥ 2: softmax over R classes. */
  R: number;
  /** Row weights; null: all 1. */
  weights: Float64Array | null;
  scaling: ColumnScaling | null;
  fitIntercept: boolean;
  /** Coefficient of `½‖W‖²` in F (0 without an L2 term). */
  l2: number;
}

/** Fills `grad` with ∇F at `theta` and returns F. */
export type SmoothFunction = (theta: Float64Array, grad: Float64Array) => number;

/** Length of θ for `cols` features. */
export function parameterCount(cols: number, R: number, fitIntercept: boolean): number {
  return cols * R + (fitIntercept ? R : 0);
}

/** F and ∇F of a problem, with its buffers (the `rows × R` scores, the folded weights) allocated once. */
export function logisticObjective(problem: LogisticProblem): SmoothFunction {
  const { X, y, R, weights, scaling, fitIntercept, l2 } = problem;
  const size = X.cols * R;
  const Z = new Float64Array(X.rows * R);
  const V = scaling ? new Float64Array(size) : null;
  const b = new Float64Array(R);
  const offset = new Float64Array(R);
  const gradOffset = new Float64Array(R);
  return (theta, grad) => {
    const W = theta.subarray(0, size);
    if (fitIntercept) b.set(theta.subarray(size, size + R));
    if (V) foldScaling(W, b, R, scaling!, V, offset);
    else offset.set(b);
    scores(X, V ?? W, offset, R, Z);
    // Z becomes the weighted residual ∂F/∂Z in place.
    const value = R === 1 ? binaryLoss(Z, y, weights) : softmaxLoss(Z, y, R, weights);
    const gradW = grad.subarray(0, size);
    transposedProduct(X, Z, R, gradW);
    gradOffset.fill(0);
    for (let i = 0; i < X.rows; i++) for (let r = 0; r < R; r++) gradOffset[r] += Z[i * R + r];
    if (scaling) unfoldGradient(gradW, gradOffset, R, scaling);
    if (fitIntercept) grad.set(gradOffset, size);
    let squares = 0;
    for (let k = 0; k < size; k++) {
      squares += W[k] * W[k];
      gradW[k] += l2 * W[k];
    }
    return value + 0.5 * l2 * squares;
  };
}

/** Σᵢ wᵢ·(softplus(zᵢ) − yᵢ·zᵢ); leaves `wᵢ·(σ(zᵢ) − yᵢ)` in Z. */
function binaryLoss(Z: Float64Array, y: Int32Array, weights: Float64Array | null): number {
  let total = 0;
  for (let i = 0; i < Z.length; i++) {
    const z = Z[i];
    const w = weights ? weights[i] : 1;
    // softplus and the sigmoid written so that neither exp overflows.
    const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
    const sigmoid = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    total += w * (softplus - y[i] * z);
    Z[i] = w * (sigmoid - y[i]);
  }
  return total;
}

/** Σᵢ wᵢ·(logΣᵣ exp zᵢᵣ − zᵢ,yᵢ); leaves `wᵢ·(softmax(zᵢ) − onehot(yᵢ))` in Z. */
function softmaxLoss(Z: Float64Array, y: Int32Array, R: number, weights: Float64Array | null): number {
  let total = 0;
  for (let i = 0; i < y.length; i++) {
    const z = i * R;
    let max = -Infinity;
    for (let r = 0; r < R; r++) max = Math.max(max, Z[z + r]);
    let sum = 0;
    for (let r = 0; r < R; r++) sum += Math.exp(Z[z + r] - max);
    const logSum = max + Math.log(sum);
    const w = weights ? weights[i] : 1;
    total += w * (logSum - Z[z + y[i]]);
    for (let r = 0; r < R; r++) Z[z + r] = w * (Math.exp(Z[z + r] - logSum) - (r === y[i] ? 1 : 0));
  }
  return total;
}
