/**
 * The test-split report of one probe: accuracy, macro-F1 (MOSAIC's headline), weighted F1, per-class precision,
 * recall, F1 and support, the confusion matrix and, given scores, ROC-AUC (SAEBench's and Kantamneni et al.'s
 * metric). Plain JSON, numbers equal to scikit-learn 1.2's with `zero_division=0`.
 * @module
 */
import { confusionRows, countConfusion } from "./confusion_matrix.ts";
import {
  accuracyOf,
  classScores,
  inMacro,
  macroAverage,
  type MacroLabels,
  weightedAverage,
} from "./precision_recall_f1.ts";
import { rocAuc, type RocAucResult, type RocAverage } from "./roc_auc.ts";
import { checkLabels, classNames } from "./validate.ts";

/** Options of {@linkcode classificationReport}. */
export interface ClassificationReportOptions {
  /** Class names by id (`numClasses` of them); default the ids as strings. */
  classes?: readonly string[];
  /** Predicted probabilities `[n, numClasses]` row-major; when given the report has `rocAuc`. */
  scores?: Float64Array;
  /** Classes averaged into `macroF1`; default `"present"` (scikit-learn's default, MOSAIC's number). */
  labels?: MacroLabels;
  /** One-vs-rest average of a multiclass `rocAuc`; default `"macro"`. */
  rocAverage?: RocAverage;
}

/** One class's row of the report. */
export interface ClassMetrics {
  class: string;
  precision: number;
  recall: number;
  f1: number;
  /** Test rows of this class (0 for a class absent from the test split). */
  support: number;
}

/** What {@linkcode classificationReport} returns. Plain JSON. */
export interface ClassificationReport {
  /** Test rows. */
  n: number;
  accuracy: number;
  macroF1: number;
  /** F1 weighted by support (independent of `labels`: absent classes weigh 0). */
  weightedF1: number;
  /** The `labels` option in force. */
  labels: MacroLabels;
  /** The classes `macroF1` averages over. */
  macroOver: string[];
  /** Every class, by id, absent ones included (with support 0). */
  perClass: ClassMetrics[];
  /** Classes with no test row: their recall is undefined (reported 0), and a `"present"` macro-F1 omits them unless predicted. */
  absentFromTest: string[];
  /** `[true][predicted]` counts over all classes. */
  confusion: number[][];
  /** Present when `scores` were given. */
  rocAuc?: RocAucResult;
}

/**
 * Scores predictions against the truth. Matches scikit-learn 1.2: `accuracy_score`, `f1_score(average="macro")`
 * (with `labels: "all"`: `labels=range(numClasses)`), `f1_score(average="weighted")`,
 * `precision_recall_fscore_support(labels=range(numClasses), zero_division=0)`,
 * `confusion_matrix(labels=range(numClasses))` and `roc_auc_score` (see {@linkcode rocAuc}).
 *
 * Throws RangeError on length mismatches (labels, scores, class names) and class ids outside `0 .. numClasses - 1`,
 * ConfigError on an empty test set or a NaN score (naming the row). An undefined ROC-AUC does not throw: it is
 * reported as `null` with its reason.
 *
 * @example
 * ```ts
 * const r = classificationReport(Int32Array.from([0, 0, 1, 1]), Int32Array.from([0, 1, 1, 1]), 2, { classes: ["no", "yes"] });
 * r.accuracy; // 0.75
 * r.perClass[1]; // { class: "yes", precision: 2 / 3, recall: 1, f1: 0.8, support: 2 }
 * ```
 */
export function classificationReport(
  yTrue: Int32Array,
  yPred: Int32Array,
  numClasses: number,
  options: ClassificationReportOptions = {},
): ClassificationReport {
  checkLabels(yTrue, yPred, numClasses);
  const names = classNames(numClasses, options.classes);
  const labels = options.labels ?? "present";
  // ROC-AUC first: its input errors (scores length, NaN) surface before any work is reported.
  const auc = options.scores && rocAuc(yTrue, options.scores, numClasses, { average: options.rocAverage });
  const cm = countConfusion(yTrue, yPred, numClasses);
  const s = classScores(cm, numClasses);
  return {
    n: yTrue.length,
    accuracy: accuracyOf(cm, numClasses),
    macroF1: macroAverage(s.f1, s, labels),
    weightedF1: weightedAverage(s.f1, s),
    labels,
    macroOver: names.filter((_, c) => inMacro(s, c, labels)),
    perClass: names.map((name, c) => ({
      class: name,
      precision: s.precision[c],
      recall: s.recall[c],
      f1: s.f1[c],
      support: s.support[c],
    })),
    absentFromTest: names.filter((_, c) => s.support[c] === 0),
    confusion: confusionRows(cm, numClasses),
    ...(auc ? { rocAuc: auc } : {}),
  };
}

/**
 * Macro-F1 alone (scikit-learn's `f1_score(average="macro")`: over the classes in the truth or the predictions), for
 * model selection loops that score many candidates.
 *
 * @example
 * ```ts
 * macroF1(Int32Array.from([0, 0, 1, 1]), Int32Array.from([0, 1, 1, 1]), 2); // 0.7333…
 * ```
 */
export function macroF1(yTrue: Int32Array, yPred: Int32Array, numClasses: number): number {
  checkLabels(yTrue, yPred, numClasses);
  const s = classScores(countConfusion(yTrue, yPred, numClasses), numClasses);
  return macroAverage(s.f1, s, "present");
}
