/**
 * `@saeflow/probe`: probes on feature shards. Logistic regression (scikit-learn's objective: L2, L1, elastic net,
 * class-balanced; C by stratified CV on train), CART decision trees (MOSAIC's grid on a validation split), SAEBench's
 * k-sparse probes, and the metrics (macro-F1, accuracy, per-class scores, ROC-AUC, confusion matrix, bootstrap CIs),
 * all equal to scikit-learn's on the same matrices. Sparse features stay sparse end to end.
 *
 * @example
 * ```ts
 * import { loadSplitMatrices, runProbes } from "@saeflow/probe";
 * const { splits } = await loadSplitMatrices("out/run/sae/l1.random-512-k32-s0/sum.no-bos/gt-1");
 * const results = runProbes({ train: splits.get("train")!, test: splits.get("test")! }, info, { probes: ["logistic"], seed: 42 });
 * ```
 * @module
 */
export {
  checkMatrix,
  type DenseMatrix,
  type FeatureMatrix,
  type LabeledMatrix,
  selectRows,
  type SparseMatrix,
} from "./feature_matrix.ts";
export { loadSplitMatrices, type LoadSplitOptions, type SplitMatrices } from "./shard_matrix.ts";
export * from "./logistic/mod.ts";
export * from "./tree/mod.ts";
export * from "./metrics/mod.ts";
export {
  type FeatureSetInfo,
  type MetricRow,
  metricRows,
  type MetricWithCI,
  type ProbeResult,
  type TopFeature,
} from "./probe_result.ts";
export {
  K_SPARSE,
  logisticBase,
  type ProbeData,
  type ProbeKind,
  type ProbeOptions,
  PROBES,
  runProbes,
  selectColumns,
} from "./run_probes.ts";
