/**
 * Labels in, class counts and row weights out: the checks every fit and every cross-validation fold needs.
 * @module
 */
import { ConfigError } from "@saeflow/core";

/**
 * Per-class row counts of `y`, after checking it: `numClasses` an integer >= 2 (ConfigError), one label per row and
 * each in `0 .. numClasses - 1` (RangeError).
 */
export function countClasses(y: Int32Array, rows: number, numClasses: number): Int32Array {
  if (!(Number.isInteger(numClasses) && numClasses >= 2)) {
    throw new ConfigError(`numClasses ${numClasses}: a probe needs an integer number of classes >= 2`);
  }
  if (y.length !== rows) throw new RangeError(`${y.length} labels for ${rows} rows`);
  const counts = new Int32Array(numClasses);
  for (let i = 0; i < y.length; i++) {
    const label = y[i];
    if (!(label >= 0 && label < numClasses)) {
      throw new RangeError(`label ${label} at row ${i} outside [0, ${numClasses})`);
    }
    counts[label]++;
  }
  return counts;
}

/**
 * The classes with at least one row, ascending. Throws a `ConfigError` when fewer than two: no decision boundary
 * can be learnt from one class (sklearn refuses too).
 */
export function presentClasses(counts: Int32Array): number[] {
  const present = [...counts.keys()].filter((k) => counts[k] > 0);
  if (present.length === 0) throw new ConfigError("the training split is empty");
  if (present.length === 1) {
    throw new ConfigError(`the training split has only class ${present[0]}: a probe needs at least two classes`);
  }
  return present;
}

/**
 * sklearn's `class_weight="balanced"` as row weights: `n / (P · n_k)` for a row of class k, over the P classes
 * present (sklearn only knows the classes it sees).
 */
export function balancedWeights(y: Int32Array, counts: Int32Array): Float64Array {
  const present = counts.filter((n) => n > 0).length;
  const weights = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) weights[i] = y.length / (present * counts[y[i]]);
  return weights;
}
