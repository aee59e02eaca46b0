/**
 * Seeded stratified k-fold assignment, so cross-validation is the same on every run and machine.
 * @module
 */
import { ConfigError, mulberry32 } from "@saeflow/core";
import { countClasses } from "./labels.ts";

/**
 * The fold (0 .. folds − 1) of each row: each class's rows are shuffled (Fisher–Yates with mulberry32(seed),
 * classes in id order), then dealt round-robin, continuing the deal from one class to the next so fold sizes differ
 * by at most one overall and each class's by at most one across folds. Throws a `ConfigError` unless
 * `2 <= folds <= rows`.
 *
 * @example
 * ```ts
 * const fold = stratifiedFolds(y, 2, 5, 42);
 * const testRows = Int32Array.from(fold.keys()).filter((i) => fold[i] === 0);
 * ```
 */
export function stratifiedFolds(y: Int32Array, numClasses: number, folds: number, seed: number): Int32Array {
  countClasses(y, y.length, numClasses);
  if (!(Number.isInteger(folds) && folds >= 2 && folds <= y.length)) {
    throw new ConfigError(`cross-validation folds ${folds}: expected an integer in [2, ${y.length}] (the row count)`);
  }
  const uniform = mulberry32(seed);
  const fold = new Int32Array(y.length);
  let deal = 0;
  for (let k = 0; k < numClasses; k++) {
    const rows = [...y.keys()].filter((i) => y[i] === k);
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(uniform() * (i + 1));
      [rows[i], rows[j]] = [rows[j], rows[i]];
    }
    for (const row of rows) fold[row] = deal++ % folds;
  }
  return fold;
}
