/**
 * The cost of the probe metrics: a percentile bootstrap of 1,000 resamples over 10,000 test rows with 10 classes
 * (accuracy, macro-F1 and one-vs-rest ROC-AUC from the same draws), and one classification report.
 *
 * Run: `./node_modules/.bin/deno bench -A bench/metrics.bench.ts`
 */
import { mulberry32 } from "@saeflow/core";
import { accuracyMetric, bootstrapCI, classificationReport, f1Metric, rocAucMetric } from "@saeflow/probe";

const n = 10_000, K = 10;
const u = mulberry32(4);
const yTrue = Int32Array.from({ length: n }, () => Math.min(K - 1, Math.floor(u() ** 1.5 * K)));
const yPred = yTrue.map((t) => (u() < 0.6 ? t : Math.floor(u() * K)));
const scores = Float64Array.from({ length: n * K }, () => u());

Deno.bench("bootstrap 1,000 x 10,000 rows, 10 classes: accuracy + macro-F1 + OvR ROC-AUC", () => {
  bootstrapCI(yTrue, yPred, K, { accuracy: accuracyMetric, macroF1: f1Metric(), rocAuc: rocAucMetric(scores) }, {
    seed: 42,
  });
});

Deno.bench("classification report with ROC-AUC, 10,000 rows, 10 classes", () => {
  classificationReport(yTrue, yPred, K, { scores });
});
