/**
 * Choosing C by stratified cross-validation on the training split (MOSAIC's grid {0.001, 0.01, 0.1, 1}, 5 folds),
 * scored by macro-F1. The test split never enters: callers pass only the training rows.
 * @module
 */
import { ConfigError } from "@saeflow/core";
import { checkMatrix, type FeatureMatrix, selectRows } from "../feature_matrix.ts";
import { fitLogistic } from "./fit.ts";
import { stratifiedFolds } from "./folds.ts";
import { countClasses, presentClasses } from "./labels.ts";
import { macroF1 } from "../metrics/mod.ts";
import type { LogisticOptions } from "./options.ts";
import type { LogisticModel } from "./model.ts";

/** MOSAIC's C grid. */
export const MOSAIC_CS: readonly number[] = Object.freeze([0.001, 0.01, 0.1, 1]);

/** Options of {@link selectC}: the grid, the folds, and the fit options shared by every candidate. */
export interface SelectCOptions extends Omit<LogisticOptions, "C"> {
  /** Candidate C values; default {@link MOSAIC_CS}. */
  Cs?: readonly number[];
  /** Cross-validation folds; default 5. */
  folds?: number;
  /** Seed of the fold assignment ({@link stratifiedFolds}); default 42. */
  seed?: number;
}

/** One candidate's cross-validated macro-F1. */
export interface CScore {
  C: number;
  /** Mean over folds. */
  meanMacroF1: number;
  /** Macro-F1 on each held-out fold, fold 0 first. */
  foldScores: number[];
}

/** The chosen C and every candidate's scores, in the order the candidates were given. */
export interface SelectCResult {
  C: number;
  scores: CScore[];
}

/**
 * Cross-validates each C on `X`, `y` (the training split) with {@link stratifiedFolds} and returns the C of highest
 * mean macro-F1, ties to the smaller C (stronger regularisation). Every candidate sees the same folds. Throws as
 * {@link fitLogistic} does, and a `ConfigError` for an empty grid or a C that is not a positive number.
 *
 * @example
 * ```ts
 * const { C } = selectC(train.X, train.y, 2, { classWeight: "balanced" });
 * const model = fitLogistic(train.X, train.y, 2, { classWeight: "balanced", C });
 * ```
 */
export function selectC(
  X: FeatureMatrix,
  y: Int32Array,
  numClasses: number,
  options: SelectCOptions = {},
): SelectCResult {
  const { Cs = MOSAIC_CS, folds = 5, seed = 42, ...fitOptions } = options;
  if (Cs.length === 0 || !Cs.every((C) => Number.isFinite(C) && C > 0)) {
    throw new ConfigError(`selectC Cs ${JSON.stringify(Cs)}: expected a non-empty list of positive numbers`);
  }
  if (!Number.isSafeInteger(seed)) throw new ConfigError(`selectC seed ${seed}: expected a safe integer`);
  checkMatrix(X);
  presentClasses(countClasses(y, X.rows, numClasses));
  const fold = stratifiedFolds(y, numClasses, folds, seed);
  const splits = Array.from({ length: folds }, (_, f) => {
    const train = Int32Array.from(fold.keys()).filter((i) => fold[i] !== f);
    const test = Int32Array.from(fold.keys()).filter((i) => fold[i] === f);
    return {
      X: selectRows(X, train),
      y: train.map((i) => y[i]),
      testX: selectRows(X, test),
      testY: test.map((i) => y[i]),
    };
  });
  // Each fold walks the grid from the smallest C up, every fit starting from the previous one's solution.
  const ascending = [...Cs.keys()].sort((a, b) => Cs[a] - Cs[b]);
  const foldScores = Cs.map(() => new Array<number>(folds));
  splits.forEach((s, f) => {
    let previous: LogisticModel | undefined;
    for (const c of ascending) {
      previous = fitLogistic(s.X, s.y, numClasses, { ...fitOptions, C: Cs[c] }, previous);
      foldScores[c][f] = macroF1(s.testY, previous.predict(s.testX), numClasses);
    }
  });
  const scores = Cs.map((C, c): CScore => ({
    C,
    meanMacroF1: foldScores[c].reduce((a, b) => a + b, 0) / folds,
    foldScores: foldScores[c],
  }));
  const best = scores.reduce((a, b) =>
    b.meanMacroF1 > a.meanMacroF1 || (b.meanMacroF1 === a.meanMacroF1 && b.C < a.C) ? b : a
  );
  return { C: best.C, scores };
}
