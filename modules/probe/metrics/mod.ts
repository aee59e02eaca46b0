/**
 * Classification metrics of the probes, equal to scikit-learn 1.2's: confusion matrix, accuracy, macro and weighted
 * F1, per-class precision/recall/F1/support (`zero_division=0`), ROC-AUC (binary, one-vs-rest macro or weighted),
 * and seeded percentile bootstrap intervals for any of them. Results are plain JSON.
 *
 * @example
 * ```ts
 * import { bootstrapCI, classificationReport, f1Metric, rocAucMetric } from "./mod.ts";
 * const yTrue = Int32Array.from([0, 0, 1, 1]), yPred = Int32Array.from([0, 1, 1, 1]);
 * const proba = Float64Array.from([0.9, 0.1, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8]); // [n, 2], class 1 positive
 * const report = classificationReport(yTrue, yPred, 2, { classes: ["no", "yes"], scores: proba });
 * report.macroF1; // 0.7333…, report.rocAuc: { value: 1, average: "binary" }
 * const ci = bootstrapCI(yTrue, yPred, 2, { macroF1: f1Metric(), rocAuc: rocAucMetric(proba) }, { seed: 42 });
 * ```
 * @module
 */
export { confusionMatrix } from "./confusion_matrix.ts";
export type { MacroLabels } from "./precision_recall_f1.ts";
export {
  type ClassificationReport,
  classificationReport,
  type ClassificationReportOptions,
  type ClassMetrics,
  macroF1,
} from "./classification_report.ts";
export { rocAuc, type RocAucOptions, type RocAucResult, type RocAverage } from "./roc_auc.ts";
export {
  bootstrapCI,
  type BootstrapInterval,
  type BootstrapMetric,
  type BootstrapOptions,
  type Resample,
} from "./bootstrap.ts";
export { accuracyMetric, f1Metric, type F1MetricOptions, rocAucMetric } from "./bootstrap_metrics.ts";
