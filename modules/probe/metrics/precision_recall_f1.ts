/**
 * Precision, recall and F1 per class and their averages, from a confusion matrix, with scikit-learn 1.2's exact
 * arithmetic and `zero_division=0`: a ratio with a zero denominator is 0 instead of NaN, so a class the probe never
 * predicts (or one absent from the test rows) counts as a failure in the macro average instead of poisoning it.
 * @module
 */

/**
 * Which classes the macro average runs over. `"present"`: those occurring in yTrue or yPred, what scikit-learn's
 * `f1_score(average="macro")` does without `labels=` (MOSAIC's headline number). `"all"`: every class id
 * `0 .. numClasses - 1`, as `labels=range(numClasses)` (a class absent from both then counts as F1 = 0).
 */
export type MacroLabels = "present" | "all";

/** Per-class values, indexed by class id; counts are floats because bootstrap resamples weight rows. */
export interface ClassScores {
  precision: Float64Array;
  recall: Float64Array;
  f1: Float64Array;
  /** Rows of the class in yTrue. */
  support: Float64Array;
  /** Rows predicted as the class. */
  predicted: Float64Array;
}

/** Per-class scores from a flat `[numClasses x numClasses]` confusion matrix (row = true, column = predicted). */
export function classScores(cm: Float64Array, numClasses: number): ClassScores {
  const s: ClassScores = {
    precision: new Float64Array(numClasses),
    recall: new Float64Array(numClasses),
    f1: new Float64Array(numClasses),
    support: new Float64Array(numClasses),
    predicted: new Float64Array(numClasses),
  };
  for (let t = 0; t < numClasses; t++) {
    for (let p = 0; p < numClasses; p++) {
      s.support[t] += cm[t * numClasses + p];
      s.predicted[p] += cm[t * numClasses + p];
    }
  }
  for (let c = 0; c < numClasses; c++) {
    const tp = cm[c * numClasses + c];
    const precision = s.predicted[c] > 0 ? tp / s.predicted[c] : 0;
    const recall = s.support[c] > 0 ? tp / s.support[c] : 0;
    // scikit-learn computes F from the rounded precision and recall, not as 2tp / (2tp + fp + fn): same order here.
    const denom = precision + recall;
    s.precision[c] = precision;
    s.recall[c] = recall;
    s.f1[c] = denom === 0 ? 0 : 2 * precision * recall / denom;
  }
  return s;
}

/** Whether class `c` enters the macro average under `labels`. */
export function inMacro(s: ClassScores, c: number, labels: MacroLabels): boolean {
  return labels === "all" || s.support[c] > 0 || s.predicted[c] > 0;
}

/** Unweighted mean of `values` over the classes selected by `labels` (never empty: a test set has a row). */
export function macroAverage(values: Float64Array, s: ClassScores, labels: MacroLabels): number {
  let sum = 0;
  let count = 0;
  for (let c = 0; c < values.length; c++) {
    if (inMacro(s, c, labels)) {
      sum += values[c];
      count++;
    }
  }
  return sum / count;
}

/**
 * Mean of `values` weighted by support. A class absent from yTrue weighs 0, so the result is the same whatever
 * `labels` is (as in scikit-learn).
 */
export function weightedAverage(values: Float64Array, s: ClassScores): number {
  let sum = 0;
  let total = 0;
  for (let c = 0; c < values.length; c++) {
    sum += values[c] * s.support[c];
    total += s.support[c];
  }
  return sum / total;
}

/** Fraction of rows on the diagonal. */
export function accuracyOf(cm: Float64Array, numClasses: number): number {
  let correct = 0;
  let total = 0;
  for (let i = 0; i < cm.length; i++) {
    total += cm[i];
    if (i % (numClasses + 1) === 0) correct += cm[i];
  }
  return correct / total;
}
