/**
 * Input checks shared by every metric: a bad label or score fails loudly with the row it is on, before any
 * counting, instead of silently landing in a wrong confusion cell.
 * @module
 */
import { ConfigError } from "@saeflow/core";

/**
 * Checks a pair of label vectors: `numClasses` an integer >= 2 (else ConfigError), equal lengths (else RangeError),
 * at least one row (else ConfigError: no metric is defined on an empty test set), every id in `0 .. numClasses - 1`
 * (else RangeError naming the row).
 */
export function checkLabels(yTrue: Int32Array, yPred: Int32Array | undefined, numClasses: number): void {
  checkNumClasses(numClasses);
  if (yPred && yPred.length !== yTrue.length) {
    throw new RangeError(`yTrue has ${yTrue.length} rows but yPred has ${yPred.length}`);
  }
  if (yTrue.length === 0) throw new ConfigError("empty test set: metrics need at least one row");
  checkIds(yTrue, "yTrue", numClasses);
  if (yPred) checkIds(yPred, "yPred", numClasses);
}

function checkNumClasses(numClasses: number): void {
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new ConfigError(`numClasses must be an integer >= 2, got ${numClasses}`);
  }
}

function checkIds(y: Int32Array, name: string, numClasses: number): void {
  for (let i = 0; i < y.length; i++) {
    if (y[i] < 0 || y[i] >= numClasses) {
      throw new RangeError(`${name}[${i}] = ${y[i]} is not a class id in 0..${numClasses - 1}`);
    }
  }
}

/**
 * Checks scores `[n, numClasses]` row-major: the length (else RangeError) and no NaN (else ConfigError naming the
 * row and class), since a NaN has no rank and would make an AUC depend on sort order.
 */
export function checkScores(scores: Float64Array, rows: number, numClasses: number): void {
  if (scores.length !== rows * numClasses) {
    throw new RangeError(
      `scores has ${scores.length} values; expected rows x numClasses = ${rows} x ${numClasses} = ${rows * numClasses}`,
    );
  }
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) {
      const row = Math.floor(i / numClasses);
      throw new ConfigError(`scores of row ${row} (0-based; class ${i - row * numClasses}) is NaN`);
    }
  }
}

/** Class names: the given ones (exactly `numClasses`, else RangeError) or the ids as strings. */
export function classNames(numClasses: number, classes?: readonly string[]): string[] {
  if (classes === undefined) return Array.from({ length: numClasses }, (_, c) => String(c));
  if (classes.length !== numClasses) {
    throw new RangeError(`${classes.length} class names given for ${numClasses} classes`);
  }
  return [...classes];
}
