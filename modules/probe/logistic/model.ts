/**
 * A fitted logistic regression: probabilities and classes for new rows, and its coefficients in the form a report
 * needs (top features per class), never the dense vector in JSON.
 * @module
 */
import { checkMatrix, type FeatureMatrix } from "../feature_matrix.ts";
import { type ColumnScaling, foldScaling } from "./column_scaling.ts";
import { scores } from "./linear_ops.ts";
import type { ResolvedLogisticOptions } from "./options.ts";

/** One coefficient: feature id and signed weight. */
export interface FeatureWeight {
  feature: number;
  weight: number;
}

/** A class's strongest features, largest |weight| first. */
export interface ClassTopFeatures {
  /** The class whose score the weights raise (class 1 for a two-class model). */
  class: number;
  features: FeatureWeight[];
}

/** What {@link fitLogistic} hands to the model. */
export interface LogisticFit {
  numClasses: number;
  cols: number;
  /** Class-major `[R, cols]`, R = 1 for two classes (the weights of class 1's log-odds) else `numClasses`. */
  coefficients: Float64Array;
  /** `[R]`; −Infinity for a class absent from the training rows (never predicted). */
  intercepts: Float64Array;
  options: ResolvedLogisticOptions;
  /** The column scaling the coefficients apply after; null when the fit used raw columns. */
  scaling: ColumnScaling | null;
  iterations: number;
  converged: boolean;
  /** `C · Σᵢ wᵢ·lossᵢ + penalty(W)` at the solution. */
  objective: number;
  /** The solver's parameter vector at the solution: where a fit at a nearby C can start (warm start). */
  solution: Float64Array;
}

/** The JSON summary of a model (`format: "saeflow.logistic"`, `version: 1`): a few hundred bytes, no dense vector. */
export interface LogisticModelJson {
  format: "saeflow.logistic";
  version: 1;
  options: ResolvedLogisticOptions;
  numClasses: number;
  cols: number;
  /** Rows of the coefficient matrix: 1 for two classes, else numClasses. */
  coefficientRows: number;
  /** Nonzero coefficients (the support an L1 penalty selects). */
  nonzero: number;
  /** Classes absent from the training rows: probability 0, intercept −Infinity (null in JSON). */
  absentClasses: number[];
  intercepts: (number | null)[];
  iterations: number;
  converged: boolean;
  objective: number;
  /** {@link LogisticModel.topFeatures} with k = {@link JSON_TOP_FEATURES}. */
  topFeatures: ClassTopFeatures[];
}

/** Top features per class kept in {@link LogisticModel.toJSON}. */
export const JSON_TOP_FEATURES = 20;

/**
 * A multinomial (or, for two classes, binary) logistic regression. `coefficients` apply to the columns after the
 * model's `scaling` (standardized space when the fit standardized); every method takes raw rows and scales them.
 *
 * @example
 * ```ts
 * const model = fitLogistic(train.X, train.y, 2, { classWeight: "balanced" });
 * const predicted = model.predict(test.X);
 * console.log(JSON.stringify(model)); // options, shapes, support, top features
 * ```
 */
export class LogisticModel {
  readonly numClasses: number;
  readonly cols: number;
  /** Class-major `[R, cols]`; R = 1 for two classes (class 1's log-odds) else numClasses. */
  readonly coefficients: Float64Array;
  /** `[R]`; −Infinity for a class absent from the training rows. */
  readonly intercepts: Float64Array;
  readonly options: ResolvedLogisticOptions;
  readonly scaling: ColumnScaling | null;
  readonly iterations: number;
  readonly converged: boolean;
  /** See {@link LogisticFit.solution}. */
  readonly solution: Float64Array;
  /** `C · Σᵢ wᵢ·lossᵢ + penalty(W)` at the solution (sklearn's objective up to its constant factor). */
  readonly objective: number;
  /** Feature-major weights on raw columns (scaling folded in), so prediction never scales X. */
  readonly #raw: Float64Array;
  readonly #offset: Float64Array;

  /** Use {@link fitLogistic}. */
  constructor(fit: LogisticFit) {
    ({
      numClasses: this.numClasses,
      cols: this.cols,
      coefficients: this.coefficients,
      intercepts: this.intercepts,
      options: this.options,
      scaling: this.scaling,
      iterations: this.iterations,
      converged: this.converged,
      objective: this.objective,
      solution: this.solution,
    } = fit);
    const R = this.coefficientRows;
    const W = new Float64Array(this.cols * R);
    for (let r = 0; r < R; r++) for (let j = 0; j < this.cols; j++) W[j * R + r] = this.coefficients[r * this.cols + j];
    this.#offset = new Float64Array(R);
    if (this.scaling) {
      this.#raw = new Float64Array(W.length);
      foldScaling(W, this.intercepts, R, this.scaling, this.#raw, this.#offset);
    } else {
      this.#raw = W;
      this.#offset.set(this.intercepts);
    }
  }

  /** Rows of {@link coefficients}: 1 for two classes, else numClasses. */
  get coefficientRows(): number {
    return this.numClasses === 2 ? 1 : this.numClasses;
  }

  /**
   * Scores `[rows, R]` (sklearn's `decision_function`): class 1's log-odds for two classes, else one logit per class.
   * Throws a `RangeError` when `X` has another width, a `ConfigError` for NaN or infinite values.
   */
  decisionFunction(X: FeatureMatrix): Float64Array {
    if (X.cols !== this.cols) {
      throw new RangeError(`features have ${X.cols} columns; the model was fitted on ${this.cols}`);
    }
    checkMatrix(X);
    const Z = new Float64Array(X.rows * this.coefficientRows);
    scores(X, this.#raw, this.#offset, this.coefficientRows, Z);
    return Z;
  }

  /** Class probabilities `[rows, numClasses]`, row-major: `[1 − p, p]` for two classes, else the softmax. */
  predictProba(X: FeatureMatrix): Float64Array {
    const Z = this.decisionFunction(X);
    const K = this.numClasses;
    const P = new Float64Array(X.rows * K);
    for (let i = 0; i < X.rows; i++) {
      if (K === 2) {
        const p = 1 / (1 + Math.exp(-Z[i]));
        P[2 * i] = 1 - p;
        P[2 * i + 1] = p;
        continue;
      }
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, Z[i * K + k]);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += P[i * K + k] = Math.exp(Z[i * K + k] - max);
      for (let k = 0; k < K; k++) P[i * K + k] /= sum;
    }
    return P;
  }

  /** The most probable class of each row (from the scores, as sklearn: ties go to the lower class). */
  predict(X: FeatureMatrix): Int32Array {
    const Z = this.decisionFunction(X);
    const R = this.coefficientRows;
    const out = new Int32Array(X.rows);
    for (let i = 0; i < X.rows; i++) {
      if (R === 1) {
        out[i] = Z[i] > 0 ? 1 : 0;
        continue;
      }
      let best = 0;
      for (let r = 1; r < R; r++) if (Z[i * R + r] > Z[i * R + best]) best = r;
      out[i] = best;
    }
    return out;
  }

  /**
   * Per coefficient row, the `k` nonzero coefficients of largest |weight| (ties: lower feature id first), signed.
   * One entry (class 1) for a two-class model, else one per class.
   */
  topFeatures(k: number): ClassTopFeatures[] {
    if (!(Number.isInteger(k) && k >= 0)) throw new RangeError(`topFeatures k ${k}: expected an integer >= 0`);
    const R = this.coefficientRows;
    return Array.from({ length: R }, (_, r) => {
      const row = this.coefficients.subarray(r * this.cols, (r + 1) * this.cols);
      const features: FeatureWeight[] = [];
      row.forEach((weight, feature) => weight !== 0 && features.push({ feature, weight }));
      features.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.feature - b.feature);
      return { class: R === 1 ? 1 : r, features: features.slice(0, k) };
    });
  }

  /** A small summary for reports and result files (see {@link LogisticModelJson}). */
  toJSON(): LogisticModelJson {
    const absentClasses = [...this.intercepts.keys()].filter((k) => this.intercepts[k] === -Infinity);
    return {
      format: "saeflow.logistic",
      version: 1,
      options: { ...this.options },
      numClasses: this.numClasses,
      cols: this.cols,
      coefficientRows: this.coefficientRows,
      nonzero: this.coefficients.reduce((n, w) => n + (w !== 0 ? 1 : 0), 0),
      absentClasses,
      intercepts: [...this.intercepts].map((b) => Number.isFinite(b) ? b : null),
      iterations: this.iterations,
      converged: this.converged,
      objective: this.objective,
      topFeatures: this.topFeatures(JSON_TOP_FEATURES),
    };
  }
}
