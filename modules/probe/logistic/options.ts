/**
 * The options of {@link fitLogistic}, checked once: what to penalise and how hard, how to weight classes, how to
 * scale columns, when to stop.
 * @module
 */
import { ConfigError } from "@saeflow/core";
import type { FeatureMatrix } from "../feature_matrix.ts";

/** The penalty on the coefficients (never on the intercepts). */
export type Penalty = "l2" | "l1" | "elasticnet";

/** Options of {@link fitLogistic}; the defaults are scikit-learn's `LogisticRegression` ones unless said otherwise. */
export interface LogisticOptions {
  /** `"l2"` (default) `½‖W‖²`, `"l1"` `‖W‖₁`, or `"elasticnet"` `l1Ratio·‖W‖₁ + ½(1 − l1Ratio)·‖W‖²`. */
  penalty?: Penalty;
  /** Inverse regularisation strength (> 0): the objective is `C · Σᵢ wᵢ·lossᵢ + penalty(W)`; default 1. */
  C?: number;
  /** The elastic-net mix in [0, 1]; required with `penalty: "elasticnet"`, refused with the others. */
  l1Ratio?: number;
  /** `"balanced"`: row weight `n / (K · n_k)` over the K classes present, sklearn's; default: every row weighs 1. */
  classWeight?: "balanced";
  /**
   * Dense input: z-score each column on the training rows first (sklearn's `StandardScaler`); default true.
   * Refused for sparse input, where centering would make every zero nonzero.
   */
  standardize?: boolean;
  /**
   * Sparse input: divide each column by its standard deviation on the training rows, no centering
   * (sklearn's `StandardScaler(with_mean=False)`); default false. Dense input uses `standardize` instead.
   */
  scale?: boolean;
  /** Fit one unpenalised intercept per class (one in all for two classes); default true. */
  fitIntercept?: boolean;
  /** Most quasi-Newton iterations; default 1000 (sklearn's is 100, which often stops short on SAE features). */
  maxIter?: number;
  /**
   * Stop when every component of the (pseudo-)gradient of `Σᵢ wᵢ·lossᵢ + penalty(W) / C` is at most `tol` in
   * absolute value: the scaling and test sklearn hands to L-BFGS as `gtol`; default 1e-4.
   */
  tol?: number;
  /** Correction pairs L-BFGS keeps (memory: about `2 · history · K · cols` doubles); default 10, scipy's. */
  history?: number;
}

/** {@link LogisticOptions} with every default filled in, as a fitted model reports them. */
export interface ResolvedLogisticOptions {
  penalty: Penalty;
  C: number;
  /** null unless the penalty is elastic net. */
  l1Ratio: number | null;
  classWeight: "balanced" | null;
  standardize: boolean;
  scale: boolean;
  fitIntercept: boolean;
  maxIter: number;
  tol: number;
  history: number;
}

/** Fills in the defaults for a matrix of `X`'s kind; throws a `ConfigError` naming the first bad option. */
export function resolveLogisticOptions(X: FeatureMatrix, options: LogisticOptions): ResolvedLogisticOptions {
  const penalty = options.penalty ?? "l2";
  if (penalty !== "l2" && penalty !== "l1" && penalty !== "elasticnet") {
    throw new ConfigError(`logistic penalty ${JSON.stringify(penalty)}: expected "l2", "l1" or "elasticnet"`);
  }
  const C = options.C ?? 1;
  if (!(Number.isFinite(C) && C > 0)) throw new ConfigError(`logistic C ${C}: expected a finite number > 0`);
  let l1Ratio: number | null = null;
  if (penalty === "elasticnet") {
    l1Ratio = options.l1Ratio ?? NaN;
    if (!(l1Ratio >= 0 && l1Ratio <= 1)) {
      throw new ConfigError(`logistic l1Ratio ${options.l1Ratio}: penalty "elasticnet" needs a number in [0, 1]`);
    }
  } else if (options.l1Ratio !== undefined) {
    throw new ConfigError(`logistic l1Ratio only applies to penalty "elasticnet", not ${JSON.stringify(penalty)}`);
  }
  const classWeight = options.classWeight ?? null;
  if (classWeight !== null && classWeight !== "balanced") {
    throw new ConfigError(`logistic classWeight ${JSON.stringify(classWeight)}: expected "balanced" or none`);
  }
  const sparse = X.kind === "sparse";
  if (sparse && options.standardize) {
    throw new ConfigError(
      "logistic standardize: refused for sparse input (centering would densify it); use scale: true to divide " +
        "columns by their standard deviation without centering",
    );
  }
  if (!sparse && options.scale !== undefined) {
    throw new ConfigError("logistic scale is for sparse input; dense input is standardized (standardize: true/false)");
  }
  const maxIter = options.maxIter ?? 1000;
  if (!(Number.isInteger(maxIter) && maxIter >= 1)) {
    throw new ConfigError(`logistic maxIter ${maxIter}: expected a positive integer`);
  }
  const tol = options.tol ?? 1e-4;
  if (!(Number.isFinite(tol) && tol >= 0)) throw new ConfigError(`logistic tol ${tol}: expected a finite number >= 0`);
  const history = options.history ?? 10;
  if (!(Number.isInteger(history) && history >= 1)) {
    throw new ConfigError(`logistic history ${history}: expected a positive integer`);
  }
  return {
    penalty,
    C,
    l1Ratio,
    classWeight,
    standardize: !sparse && (options.standardize ?? true),
    scale: sparse && (options.scale ?? false),
    fitIntercept: options.fitIntercept ?? true,
    maxIter,
    tol,
    history,
  };
}
