/**
 * The metrics {@linkcode bootstrapCI} evaluates on each resample: the report's accuracy, F1 averages and ROC-AUC,
 * computed by weighting rows with their draw counts. On the unresampled rows (every count 1) each equals the
 * number {@linkcode classificationReport} reports.
 * @module
 */
import type { BootstrapMetric } from "./bootstrap.ts";
import { countConfusion } from "./confusion_matrix.ts";
import { classScores, macroAverage, type MacroLabels, weightedAverage } from "./precision_recall_f1.ts";
import { aucFromRanks, type RankedScores, rankScores, type RocAucOptions } from "./roc_auc.ts";

/** Accuracy of a resample. */
export const accuracyMetric: BootstrapMetric = ({ yTrue, yPred, counts }) => {
  let correct = 0, total = 0;
  for (let i = 0; i < yTrue.length; i++) {
    total += counts[i];
    if (yTrue[i] === yPred[i]) correct += counts[i];
  }
  return correct / total;
};

/** Options of {@linkcode f1Metric}. */
export interface F1MetricOptions {
  /** Default `"macro"`. */
  average?: "macro" | "weighted";
  /** Classes of a macro average, as in the report; default `"present"` (present in the resample). */
  labels?: MacroLabels;
}

/** Macro (default) or weighted F1 of a resample. */
export function f1Metric(options: F1MetricOptions = {}): BootstrapMetric {
  const { average = "macro", labels = "present" } = options;
  return ({ yTrue, yPred, numClasses, counts }) => {
    const s = classScores(countConfusion(yTrue, yPred, numClasses, counts), numClasses);
    return average === "macro" ? macroAverage(s.f1, s, labels) : weightedAverage(s.f1, s);
  };
}

/**
 * ROC-AUC of a resample from `scores` `[n, numClasses]` (as {@linkcode rocAuc}); NaN where undefined. Rows are
 * sorted once, on the first evaluation, then each resample costs one pass per class.
 */
export function rocAucMetric(scores: Float64Array, options: RocAucOptions = {}): BootstrapMetric {
  const average = options.average ?? "macro";
  let ranked: RankedScores | undefined;
  return ({ yTrue, numClasses, counts }) => {
    if (ranked?.yTrue !== yTrue || ranked.numClasses !== numClasses) ranked = rankScores(yTrue, scores, numClasses);
    return aucFromRanks(ranked, average, counts).value ?? NaN;
  };
}
