/**
 * The confusion matrix: every count-based metric (accuracy, precision, recall, F1) is a function of it, so it is
 * the one pass over the rows they share.
 * @module
 */
import { checkLabels } from "./validate.ts";

/**
 * Counts `[numClasses x numClasses]` flat row-major (row = true class, column = predicted), each row `i` counted
 * `counts[i]` times when `counts` is given (a bootstrap resample) and once otherwise. Inputs already checked.
 */
export function countConfusion(
  yTrue: Int32Array,
  yPred: Int32Array,
  numClasses: number,
  counts?: Int32Array,
): Float64Array {
  const cm = new Float64Array(numClasses * numClasses);
  for (let i = 0; i < yTrue.length; i++) cm[yTrue[i] * numClasses + yPred[i]] += counts ? counts[i] : 1;
  return cm;
}

/**
 * The confusion matrix over all `numClasses` classes, rows = true class, columns = predicted: scikit-learn's
 * `confusion_matrix(y_true, y_pred, labels=range(numClasses))`, so a class absent from both still has its row and
 * column (of zeros).
 *
 * @example
 * ```ts
 * confusionMatrix(Int32Array.from([0, 0, 1]), Int32Array.from([0, 1, 1]), 2); // [[1, 1], [0, 1]]
 * ```
 */
export function confusionMatrix(yTrue: Int32Array, yPred: Int32Array, numClasses: number): number[][] {
  checkLabels(yTrue, yPred, numClasses);
  return confusionRows(countConfusion(yTrue, yPred, numClasses), numClasses);
}

/** A flat confusion matrix as nested arrays (JSON), row = true class. */
export function confusionRows(cm: Float64Array, numClasses: number): number[][] {
  return Array.from({ length: numClasses }, (_, t) => Array.from(cm.subarray(t * numClasses, (t + 1) * numClasses)));
}
