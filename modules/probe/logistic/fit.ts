/**
 * Fitting: scikit-learn's `LogisticRegression` objective, solved deterministically on CSR or dense rows.
 * @module
 */
import { checkMatrix, type FeatureMatrix } from "../feature_matrix.ts";
import { columnScaling } from "./column_scaling.ts";
import { balancedWeights, countClasses, presentClasses } from "./labels.ts";
import { LogisticModel } from "./model.ts";
import { logisticObjective, parameterCount } from "./objective.ts";
import { type LogisticOptions, resolveLogisticOptions } from "./options.ts";
import { minimizeOwlqn } from "./owlqn.ts";

/**
 * Fits a logistic regression minimising `C · Σᵢ wᵢ·lossᵢ + penalty(W)` (intercepts unpenalised), scikit-learn's
 * objective, so coefficients match sklearn's `LogisticRegression` on the same rows:
 * - two classes: one coefficient row, binary log-loss with class 1 positive (sklearn's `coef_` of shape `[1, cols]`);
 * - three or more: softmax cross-entropy over all classes (sklearn's multinomial `lbfgs` / `saga`).
 *
 * Solver: L-BFGS for L2, its orthant-wise form OWL-QN for L1 and elastic net (exact zeros); deterministic, float64,
 * gradients by CSR products (memory O(nnz + history · K · cols), a sparse `X` is never densified).
 *
 * A class with no training row while `numClasses` counts it (a rare class missing from a cross-validation fold):
 * sklearn would not know it exists; here the softmax is fitted over the classes present (as sklearn would) and the
 * missing one is kept with zero coefficients and intercept −Infinity: probability 0, never predicted, shapes stay
 * `numClasses` wide. With two classes, a missing one leaves a single class, which is refused.
 *
 * Throws a `ConfigError` for bad options, NaN or infinite features, or fewer than two classes present
 * ("the training split has only class 1"); a `RangeError` when `y` has another length than `X` has rows or a
 * label outside `0 .. numClasses − 1`.
 *
 * @example
 * ```ts
 * const model = fitLogistic(X, y, 2, { classWeight: "balanced", C: 0.1 });
 * const sparse = fitLogistic(X, y, 2, { penalty: "l1", C: 1 });
 * model.topFeatures(10);
 * ```
 */
export function fitLogistic(
  X: FeatureMatrix,
  y: Int32Array,
  numClasses: number,
  options: LogisticOptions = {},
  warmStart?: LogisticModel,
): LogisticModel {
  checkMatrix(X);
  const resolved = resolveLogisticOptions(X, options);
  const counts = countClasses(y, X.rows, numClasses);
  const present = presentClasses(counts);
  const binary = numClasses === 2;
  const R = binary ? 1 : present.length;
  const { penalty, C, fitIntercept } = resolved;
  const l1Share = penalty === "l1" ? 1 : penalty === "elasticnet" ? resolved.l1Ratio! : 0;
  const scaling = resolved.standardize || resolved.scale ? columnScaling(X, resolved.standardize) : null;
  const f = logisticObjective({
    X,
    y: binary ? y : y.map((label) => present.indexOf(label)),
    R,
    weights: resolved.classWeight === "balanced" ? balancedWeights(y, counts) : null,
    scaling,
    fitIntercept,
    l2: (1 - l1Share) / C,
  });
  const size = X.cols * R;
  // Solved in sklearn's scaling (`Σ wᵢ·lossᵢ + penalty / C`), the one its `tol` refers to.
  // A warm start (the solution at a nearby C on the same rows) saves most iterations along a C grid.
  const count = parameterCount(X.cols, R, fitIntercept);
  const x0 = warmStart?.solution.length === count ? warmStart.solution.slice() : new Float64Array(count);
  const result = minimizeOwlqn(f, x0, {
    l1: l1Share / C,
    l1Count: size,
    maxIter: resolved.maxIter,
    tol: resolved.tol,
    history: resolved.history,
  });
  const rows = binary ? 1 : numClasses;
  const coefficients = new Float64Array(rows * X.cols);
  const intercepts = new Float64Array(rows).fill(binary ? 0 : -Infinity);
  for (let r = 0; r < R; r++) {
    const k = binary ? 0 : present[r];
    for (let j = 0; j < X.cols; j++) coefficients[k * X.cols + j] = result.x[j * R + r];
    intercepts[k] = fitIntercept ? result.x[size + r] : 0;
  }
  // Softmax intercepts are defined up to a shared constant (unpenalised): report the centred ones.
  if (!binary && fitIntercept) {
    const mean = present.reduce((sum, k) => sum + intercepts[k], 0) / present.length;
    for (const k of present) intercepts[k] -= mean;
  }
  return new LogisticModel({
    numClasses,
    cols: X.cols,
    coefficients,
    intercepts,
    options: resolved,
    scaling,
    iterations: result.iterations,
    converged: result.converged,
    objective: C * result.value,
    solution: result.x,
  });
}
